using System.Globalization;

namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>
/// libvirt's scaled integers (the unit attribute of memory elements, as virScaleInteger reads it, ignoring
/// case): b, byte or bytes; a letter k, m, g, t, p or e alone or followed by "iB" for powers of 1024, or
/// followed by "B" for powers of 1000.
/// libvirt writes KiB itself, but a domain defined by hand may say unit='GiB'.
/// </summary>
internal static class MemoryUnits
{
    /// <summary>The element's value in KiB, rounded up as libvirt does; <paramref name="defaultUnit"/> when it has no unit.</summary>
    public static ulong ToKib(string value, string? unit, string defaultUnit, string what)
    {
        if (!ulong.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong n))
            throw new FormatException($"{what}: '{Protocol.Validation.Shorten(value)}' is not a number");
        ulong scale = Scale(string.IsNullOrEmpty(unit) ? defaultUnit : unit)
            ?? throw new FormatException($"{what}: unit '{Protocol.Validation.Shorten(unit!)}' is not one libvirt knows");
        var bytes = (UInt128)n * scale;
        var kib = (bytes + 1023) / 1024;
        if (kib > ulong.MaxValue) throw new FormatException($"{what}: {n} {unit} is too large");
        return (ulong)kib;
    }

    private static ulong? Scale(string unit)
    {
        const StringComparison Ci = StringComparison.OrdinalIgnoreCase;
        if (unit.Equals("b", Ci) || unit.Equals("byte", Ci) || unit.Equals("bytes", Ci)) return 1;
        var rest = unit.AsSpan(1);
        ulong @base = rest.Length == 0 || rest.Equals("iB", Ci) ? 1024 : rest.Equals("B", Ci) ? 1000UL : 0;
        if (@base == 0) return null;
        int power = char.ToLowerInvariant(unit[0]) switch { 'k' => 1, 'm' => 2, 'g' => 3, 't' => 4, 'p' => 5, 'e' => 6, _ => 0 };
        if (power == 0) return null;
        ulong scale = 1;
        for (int i = 0; i < power; i++) scale *= @base;
        return scale;
    }
}
