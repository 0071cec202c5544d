namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>Default guest device names for new disks (spec §8.1: "the next free vdX"), counted the way libvirt
/// counts disk names: vda ... vdz, vdaa ... vdzz, vdaaa.</summary>
internal static class DiskTargets
{
    private const string Prefix = "vd";

    /// <summary>The first vdX that is not in <paramref name="used"/> (the targets of the domain's disks and of
    /// disks already chosen in the same request).</summary>
    public static string Next(IEnumerable<string> used)
    {
        var taken = used as IReadOnlySet<string> ?? new HashSet<string>(used, StringComparer.Ordinal);
        for (int i = 0; ; i++)
        {
            var name = Name(i);
            if (!taken.Contains(name)) return name;
        }
    }

    /// <summary>The disk name of index <paramref name="index"/>: 0 is vda, 25 vdz, 26 vdaa (libvirt's virIndexToDiskName).</summary>
    public static string Name(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        Span<char> suffix = stackalloc char[8];
        int at = suffix.Length;
        for (int i = index; i >= 0; i = i / 26 - 1)
            suffix[--at] = (char)('a' + i % 26);
        return string.Concat(Prefix, suffix[at..]);
    }
}
