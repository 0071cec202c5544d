using System.Globalization;

namespace Vmm.Ctl.Input;

/// <summary>--since of vmmctl events: a duration back from now (30s, 10m, 2h, 1d, 500ms) or an instant in RFC 3339
/// (2026-12-03T06:00:00Z), as the ms before now that the since-ms filter carries (spec §7.7).</summary>
internal static class Since
{
    public static ulong Ms(string value, DateTimeOffset now)
    {
        if (Duration(value) is { } ms) return ms;
        if (value.Contains('T') && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            return at >= now ? 0 : (ulong)(now - at).TotalMilliseconds;
        throw new UsageException($"--since '{Vmm.Protocol.Validation.Shorten(value)}' is neither a duration (30s, 10m, 2h, 1d) nor a time (2026-12-03T06:00:00Z)");
    }

    private static ulong? Duration(string value)
    {
        (string unit, ulong ms)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];
        foreach (var (unit, ms) in units)
        {
            if (!value.EndsWith(unit, StringComparison.Ordinal)) continue;
            var number = value[..^unit.Length];
            // "10ms" ends with "s" too: the longer unit is tried first, and a number must be left.
            if (ulong.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= ulong.MaxValue / ms / 2) return n * ms;
        }
        return null;
    }
}
