using System.Globalization;

namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>MAC addresses between the protocol's 48-bit number (first octet in the high byte, spec §6.4)
/// and libvirt's text form, 52:54:00:12:34:56.</summary>
internal static class MacText
{
    /// <summary>The largest 48-bit value.</summary>
    public const ulong Max = 0xFFFF_FFFF_FFFF;

    public static string Format(ulong mac)
    {
        if (mac > Max) throw new ArgumentOutOfRangeException(nameof(mac), mac, "a MAC has 48 bits");
        return string.Create(17, mac, static (span, m) =>
        {
            for (int i = 0; i < 6; i++)
            {
                byte b = (byte)(m >> (8 * (5 - i)));
                b.TryFormat(span.Slice(i * 3, 2), out _, "x2", CultureInfo.InvariantCulture);
                if (i < 5) span[i * 3 + 2] = ':';
            }
        });
    }

    /// <summary>Parses six colon-separated hex octets (either case).</summary>
    public static bool TryParse(string? text, out ulong mac)
    {
        mac = 0;
        if (text is null || text.Length != 17) return false;
        for (int i = 0; i < 6; i++)
        {
            if (i < 5 && text[i * 3 + 2] != ':') return false;
            if (!byte.TryParse(text.AsSpan(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
                return false;
            mac = (mac << 8) | b;
        }
        return true;
    }

    /// <summary>Bit 0 of the first octet: a group address, which no NIC may have (libvirt refuses it too).</summary>
    public static bool IsMulticast(ulong mac) => ((mac >> 40) & 1) != 0;
}
