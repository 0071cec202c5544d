using System.Globalization;

namespace Vmm.Ctl.Input;

/// <summary>
/// Sizes and durations as an operator writes them. A size always has a unit (K, M, G, T, P: powers of 1024,
/// also written Ki/KiB/KB; B for bytes), because a bare number is ambiguous: virsh reads KiB, virt-install MiB.
/// </summary>
internal static class Sizes
{
    private const string SizeHelp = "K, M, G, T (powers of 1024) or B, such as 512M or 10G";

    /// <summary>Bytes of a size such as 512M, 1.5G or 4096B.</summary>
    public static ulong ParseBytes(string text, string what)
    {
        var s = text.Trim();
        int unitAt = s.Length;
        while (unitAt > 0 && char.IsAsciiLetter(s[unitAt - 1])) unitAt--;
        var number = s[..unitAt];
        var unit = s[unitAt..].ToUpperInvariant();
        if (unit.Length == 0)
            throw new UsageException($"{what} '{Shorten(text)}' needs a unit: {SizeHelp}");
        int shift = unit switch
        {
            "B" => 0,
            "K" or "KI" or "KB" or "KIB" => 10,
            "M" or "MI" or "MB" or "MIB" => 20,
            "G" or "GI" or "GB" or "GIB" => 30,
            "T" or "TI" or "TB" or "TIB" => 40,
            "P" or "PI" or "PB" or "PIB" => 50,
            _ => throw new UsageException($"{what} '{Shorten(text)}' has an unknown unit '{s[unitAt..]}': use {SizeHelp}"),
        };
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            throw new UsageException($"{what} '{Shorten(text)}' is not a size: write a number and a unit, {SizeHelp}");
        decimal bytes = value * (1UL << shift);
        if (bytes > ulong.MaxValue) throw new UsageException($"{what} '{Shorten(text)}' is too large");
        if (bytes != decimal.Truncate(bytes)) throw new UsageException($"{what} '{Shorten(text)}' is not a whole number of bytes");
        if (bytes == 0) throw new UsageException($"{what} must be more than 0");
        return (ulong)bytes;
    }

    /// <summary>KiB of a memory size (the protocol counts memory in KiB, as libvirt does).</summary>
    public static ulong ParseMemoryKib(string text, string what)
    {
        ulong bytes = ParseBytes(text, what);
        if (bytes % 1024 != 0) throw new UsageException($"{what} '{Shorten(text)}' is not a whole number of KiB");
        return bytes / 1024;
    }

    /// <summary>Milliseconds of a duration: 500ms, 30s, 2m, 1h; a bare number is seconds.</summary>
    public static uint ParseDurationMs(string text, string what)
    {
        var s = text.Trim();
        (string number, ulong scale) = s switch
        {
            _ when s.EndsWith("ms", StringComparison.Ordinal) => (s[..^2], 1UL),
            _ when s.EndsWith('s') => (s[..^1], 1000UL),
            _ when s.EndsWith('m') => (s[..^1], 60_000UL),
            _ when s.EndsWith('h') => (s[..^1], 3_600_000UL),
            _ => (s, 1000UL),
        };
        if (!ulong.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) || n > uint.MaxValue / scale)
            throw new UsageException($"{what} '{Shorten(text)}' is not a duration such as 30s, 2m or 500ms");
        return (uint)(n * scale);
    }

    /// <summary>A count of at least <paramref name="min"/> that fits the protocol's 16-bit fields.</summary>
    public static ushort ParseCount(string text, string what, int min = 1)
    {
        if (!ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort n) || n < min)
            throw new UsageException($"{what} '{Shorten(text)}' is not a number from {min} to {ushort.MaxValue}");
        return n;
    }

    internal static string Shorten(string text) => Vmm.Protocol.Validation.Shorten(text);
}
