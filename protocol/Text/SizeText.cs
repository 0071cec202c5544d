using System.Globalization;

namespace Vmm.Protocol.Text;

/// <summary>
/// Sizes in messages, in binary units as an operator types them (vmmctl reads 2G as 2 GiB), never as the wire's
/// raw KiB or bytes: hostd, the controller and vmmctl all speak through this, so that a refusal of
/// <c>--memory 2G</c> says "2 GiB", not "2097152 KiB".
/// </summary>
public static class SizeText
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB"];

    /// <summary>
    /// <paramref name="bytes"/> exactly, in the largest unit that holds it with at most three decimals: 2 GiB,
    /// 1.5 GiB, 1000 MiB, 1537 B. For amounts asked for and limits, where rounding could make two different sizes
    /// read the same.
    /// </summary>
    public static string Exact(ulong bytes) => Exact((UInt128)bytes);

    /// <summary>A size in KiB (the protocol's unit for memory) exactly, as <see cref="Exact(ulong)"/>.</summary>
    public static string ExactKib(ulong kib) => Exact((UInt128)kib * 1024);

    /// <summary>
    /// <paramref name="bytes"/> rounded to one decimal below 100 and none above (15.6 GiB, 512 MiB): for amounts the
    /// operator did not type, such as a host's free memory. <paramref name="separator"/> goes between number and unit.
    /// </summary>
    public static string Rounded(ulong bytes, string separator = " ") => Rounded((double)bytes, 0, separator);

    /// <summary>A size in KiB, rounded as <see cref="Rounded(ulong, string)"/>.</summary>
    public static string RoundedKib(ulong kib, string separator = " ") => Rounded((double)kib, 1, separator);

    private static string Exact(UInt128 bytes)
    {
        for (int unit = Units.Length - 1; unit > 0; unit--)
        {
            UInt128 size = (UInt128)1 << (10 * unit);
            if (bytes < size) continue;
            // At most three decimals exactly: the remainder is a multiple of an eighth of the unit (1000 = 8 * 125).
            if ((bytes % size) % (size >> 3) != 0) continue;
            decimal value = (decimal)(bytes / size) + (decimal)(bytes % size) / (decimal)size;
            return value.ToString("0.###", CultureInfo.InvariantCulture) + " " + Units[unit];
        }
        return bytes.ToString(CultureInfo.InvariantCulture) + " B";
    }

    private static string Rounded(double value, int unit, string separator)
    {
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        // One decimal below 100 (1.5GiB), none above (512MiB); never a trailing .0.
        string number = value >= 100 || unit == 0
            ? Math.Round(value).ToString("0", CultureInfo.InvariantCulture)
            : value.ToString("0.#", CultureInfo.InvariantCulture);
        return number + separator + Units[unit];
    }
}
