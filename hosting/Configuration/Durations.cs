using System.Globalization;
using System.Text;

namespace Vmm.Hosting.Configuration;

/// <summary>
/// Durations as people write them in configuration: a whole number and a unit, or several in a row from
/// the largest unit down (<c>500ms</c>, <c>1s</c>, <c>2m</c>, <c>1h30m</c>). A bare number is refused:
/// whether "5" means seconds or milliseconds is exactly the guess a configuration must not make.
/// </summary>
public static class Durations
{
    private const long MaxMilliseconds = 366L * 24 * 3600 * 1000;

    /// <summary>Parses <paramref name="text"/>; false when it is not a duration (or longer than a year).</summary>
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        long total = 0;
        int i = 0, lastUnit = int.MaxValue;
        if (text.Length == 0) return false;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
            if (i == start || i - start > 12) return false;
            long n = long.Parse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture);
            int unitStart = i;
            while (i < text.Length && char.IsAsciiLetterLower(text[i])) i++;
            long unit = text.AsSpan(unitStart, i - unitStart) switch
            {
                "h" => 3_600_000,
                "m" => 60_000,
                "s" => 1_000,
                "ms" => 1,
                _ => 0,
            };
            // Units must come once each, largest first: "1m1h" and "1s1s" are typos, not sums.
            if (unit == 0 || unit >= lastUnit) return false;
            lastUnit = (int)unit;
            if (n > MaxMilliseconds / unit) return false;
            total += n * unit;
            if (total > MaxMilliseconds) return false;
        }
        value = TimeSpan.FromMilliseconds(total);
        return true;
    }

    /// <summary>The shortest form <see cref="TryParse"/> reads back: 1h30m, 2m, 1s500ms, 0s.</summary>
    public static string Format(TimeSpan value)
    {
        long ms = (long)value.TotalMilliseconds;
        if (ms == 0) return "0s";
        var sb = new StringBuilder();
        if (ms < 0) { sb.Append('-'); ms = -ms; }
        Part(sb, ref ms, 3_600_000, "h");
        Part(sb, ref ms, 60_000, "m");
        Part(sb, ref ms, 1_000, "s");
        Part(sb, ref ms, 1, "ms");
        return sb.ToString();
    }

    private static void Part(StringBuilder sb, ref long ms, long unit, string name)
    {
        long n = ms / unit;
        if (n == 0) return;
        sb.Append(n.ToString(CultureInfo.InvariantCulture)).Append(name);
        ms -= n * unit;
    }
}
