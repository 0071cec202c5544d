// The checks a STATE datagram passes before it reaches the inventory, in the spec's order (§3.5, §3.2,
// §3.3, then the body §6): framing, type, key id, tag (under the key of the host the datagram names, so a
// host can sign only for itself), body. A well-framed datagram takes the fast path (the codec's
// non-throwing TryReadDatagram), so a flood of forged datagrams (bad tag, wrong key, unsigned) costs one
// HMAC each and no exception; only garbage headers and broken authentic bodies go through the codec's
// exceptions, whose messages are kept for the log.
using Vmm.Controller.Inventory;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Ingest;

internal static class DatagramGate
{
    /// <summary>Checks framing, type and authentication. <paramref name="detail"/> is the codec's message
    /// when it found the fault; null when the reason says it all.</summary>
    public static DropReason Authenticate(ReadOnlySpan<byte> datagram, HostKeys keys, out string? detail)
    {
        detail = null;
        // STATE and USAGE (spec §16.1) name their host at the same body offset, and are checked alike.
        if (PduFraming.TryReadDatagram(datagram, out var frame, out _) && frame.Type is PduType.State or PduType.Usage
            && StateView.TryPeekHost(frame.Body, out var host))
        {
            if (frame.KeyId == 0) return DropReason.Unsigned;
            return keys.Check(datagram, host) switch
            {
                null => DropReason.None,
                ProtocolErrorCode.Unsigned => DropReason.Unsigned,
                ProtocolErrorCode.WrongKey => DropReason.WrongKey,
                _ => DropReason.BadTag,
            };
        }
        try
        {
            // Not a well-framed STATE (or one too short to name its host): let the codec name the fault.
            var header = PduFraming.ReadDatagram(datagram, PduHeader.MaxDatagram);
            if (header.Type is PduType.State or PduType.Usage)
            {
                // Throws for the body too short to name the host.
                if (header.Type == PduType.State) StateView.Parse(PduCodec.Body(datagram));
                else UsageView.Parse(PduCodec.Body(datagram));
                detail = $"a {header.Type.Name()} that names no host";
                return DropReason.Malformed;
            }
            detail = $"a {header.Type.Name()} PDU does not travel on UDP; only STATE and USAGE do";
            return DropReason.UnexpectedType;
        }
        catch (ProtocolException e)
        {
            detail = e.Message;
            return DropReasons.From(e.Code);
        }
    }

    /// <summary>Parses and checks the body of an authenticated STATE (spec §6), including the rule of §5.4
    /// for a critical attribute that is known but has no meaning where it stands.</summary>
    public static DropReason Parse(ReadOnlySpan<byte> datagram, out StateView state, out string? detail)
    {
        detail = null;
        try
        {
            state = StateView.Parse(PduCodec.Body(datagram));
        }
        catch (ProtocolException e)
        {
            state = default;
            detail = e.Message;
            return DropReasons.From(e.Code);
        }
        return CheckCritical(state, out detail);
    }

    /// <summary>Parses and checks the body of an authenticated USAGE (spec §16.1); a critical attribute in a usage
    /// record other than a counter is refused (§5.4).</summary>
    public static DropReason ParseUsage(ReadOnlySpan<byte> datagram, out UsageView usage, out string? detail)
    {
        detail = null;
        try
        {
            usage = UsageView.Parse(PduCodec.Body(datagram));
        }
        catch (ProtocolException e)
        {
            usage = default;
            detail = e.Message;
            return DropReasons.From(e.Code);
        }
        foreach (var record in usage.Vms)
        {
            var attrs = record.Attributes;
            while (attrs.MoveNext())
                if (attrs.Critical && !UsageCounters.IsCounter(attrs.Type))
                    return Misplaced(attrs.Type, "a usage record", out detail);
        }
        return DropReason.None;
    }

    /// <summary>The message for a drop the fast path found (no codec message).</summary>
    public static string Describe(DropReason reason, ReadOnlySpan<byte> datagram)
    {
        if (!PduFraming.TryReadDatagram(datagram, out var frame, out _)) return reason.Name();
        return reason switch
        {
            DropReason.Unsigned => $"unsigned (key id 0); {frame.Type.Name().ToUpperInvariant()} must be signed with the host's key",
            DropReason.WrongKey => $"signed with a key that is not host {HostOf(frame)}'s (key id 0x{frame.KeyId:x2}): "
                + "another host's key, or a key derived from another master; check that host's key file",
            DropReason.BadTag => $"authentication tag does not verify under host {HostOf(frame)}'s key: the datagram was altered or forged",
            _ => reason.Name(),
        };
    }

    private static string HostOf(in PduFrame frame) =>
        StateView.TryPeekHost(frame.Body, out var host) ? Validation.Shorten(System.Text.Encoding.UTF8.GetString(host)) : "?";

    private static DropReason CheckCritical(in StateView state, out string? detail)
    {
        detail = null;
        var facts = state.Facts;
        while (facts.MoveNext())
            if (facts.Critical && facts.Type is < AttrType.Cpus or > AttrType.VmCount)
                return Misplaced(facts.Type, "host facts", out detail);
        foreach (var record in state.Vms)
        {
            var attrs = record.Attributes;
            while (attrs.MoveNext())
                if (attrs.Critical && attrs.Type is < AttrType.Disk or > AttrType.LastRequest)
                    return Misplaced(attrs.Type, "a VM record", out detail);
        }
        return DropReason.None;
    }

    private static DropReason Misplaced(AttrType type, string where, out string detail)
    {
        detail = $"critical attribute {AttrRegistry.Find((byte)type)?.Name ?? $"0x{(byte)type:x2}"} has no meaning in {where}";
        return DropReason.UnknownCritical;
    }
}
