using Vmm.Protocol.Text;

namespace Vmm.Protocol;

/// <summary>
/// Which attributes each request code takes (spec §8.1, the "parameters" column, and §5.3's "where"), and the
/// rule of spec §5.4 built on it: a known attribute where the registry does not list it is ignored, unless it
/// is critical, and then the request is refused (ACK unsupported) and nothing is done. hostd applies it to every
/// REQUEST, and the controller to a SUBMIT's request parameters, from this one table.
/// </summary>
public static class RequestParameters
{
    private static readonly AttrType[] None = [];

    /// <summary>The parameters of <paramref name="code"/>, as §8.1 lists them (timeout-ms aside: any request may carry it).</summary>
    public static ReadOnlySpan<AttrType> Of(RequestCode code) => code switch
    {
        RequestCode.Add => [AttrType.Name, AttrType.Vcpus, AttrType.MaxVcpus, AttrType.Memory, AttrType.MaxMemory, AttrType.DiskSpec, AttrType.NicSpec, AttrType.Ha],
        RequestCode.Stop => [AttrType.TimeoutMs],
        RequestCode.Migrate => [AttrType.DestUri],
        RequestCode.AddNic => [AttrType.NicSpec],
        RequestCode.RemoveNic => [AttrType.Mac],
        RequestCode.UpdateMemory => [AttrType.Memory],
        RequestCode.AddCpu or RequestCode.RemoveCpu => [AttrType.Count],
        RequestCode.UpdateDisk => [AttrType.DiskSpec, AttrType.DiskOp, AttrType.Target, AttrType.Size],
        RequestCode.Snapshot => [AttrType.SnapshotName, AttrType.SnapshotOp],
        RequestCode.Drain => [AttrType.Draining],
        RequestCode.Lease => [AttrType.Controller, AttrType.LeaseToken, AttrType.FenceAfterMs],
        RequestCode.SetHa => [AttrType.Ha],
        _ => None,
    };

    /// <summary>The attributes a nested <paramref name="container"/> (disk-spec, nic-spec) takes; none for any other type.</summary>
    public static ReadOnlySpan<AttrType> Within(AttrType container) => container switch
    {
        AttrType.DiskSpec => [AttrType.Target, AttrType.Size, AttrType.BaseImage, AttrType.Bus, AttrType.Volume],
        AttrType.NicSpec => [AttrType.Mac, AttrType.Network, AttrType.Bridge, AttrType.Model],
        _ => None,
    };

    /// <summary>Whether <paramref name="type"/> has a meaning in a request of <paramref name="code"/>.</summary>
    public static bool Takes(RequestCode code, AttrType type) => type == AttrType.TimeoutMs || Of(code).Contains(type);

    /// <summary>
    /// The message refusing a critical attribute of <paramref name="parameters"/> (or of a nested disk-spec or
    /// nic-spec in them) that has no meaning in a request of <paramref name="code"/>; null when there is none.
    /// Attributes the registry does not know never get here: decoding refuses them when critical (§5.4).
    /// </summary>
    public static string? ForeignCritical(RequestCode code, AttrList parameters)
    {
        foreach (var a in parameters)
        {
            if (!Takes(code, a.Type))
            {
                if (a.Critical) return Message(a, Names.Of(code) + " request");
                continue;
            }
            if (a.Nested is not { } nested) continue;
            foreach (var inner in nested)
                if (inner.Critical && !Within(a.Type).Contains(inner.Type))
                    return Message(inner, Name(a.Type));
        }
        return null;
    }

    private static string Message(Attr a, string where) =>
        $"critical attribute {Name(a.Type)} has no meaning in a {where}: refused, nothing done";

    private static string Name(AttrType type) => AttrRegistry.Find((byte)type)?.Name ?? $"0x{(byte)type:x2}";
}
