using System.Globalization;
using Vmm.Protocol.Text;

namespace Vmm.Ctl.Output;

/// <summary>Numbers as people read them: binary sizes, short ages, MAC addresses.</summary>
internal static class Human
{
    /// <summary>A memory size in KiB (the protocol's unit for memory): 512MiB, 1.5GiB.</summary>
    public static string Kib(ulong kib) => SizeText.RoundedKib(kib, "");

    /// <summary>A size in bytes: 10GiB, 1.5GiB, 512B.</summary>
    public static string Bytes(ulong bytes) => SizeText.Rounded(bytes, "");

    /// <summary>Time since the controller last heard the host: 0.4s, 12s, 5m, 3h, 2d; - when unknown.</summary>
    public static string Age(ulong? ms) => ms switch
    {
        null => "-",
        < 10_000 => (ms.Value / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + "s",
        < 60_000 => (ms.Value / 1000).ToString(CultureInfo.InvariantCulture) + "s",
        < 3_600_000 => (ms.Value / 60_000).ToString(CultureInfo.InvariantCulture) + "m",
        < 86_400_000 => (ms.Value / 3_600_000).ToString(CultureInfo.InvariantCulture) + "h",
        _ => (ms.Value / 86_400_000).ToString(CultureInfo.InvariantCulture) + "d",
    };

    /// <summary>A MAC address held in the low 48 bits: 52:54:00:12:34:56.</summary>
    public static string Mac(ulong mac)
    {
        Span<char> s = stackalloc char[17];
        for (int i = 0; i < 6; i++)
        {
            byte b = (byte)(mac >> (40 - 8 * i));
            s[i * 3] = "0123456789abcdef"[b >> 4];
            s[i * 3 + 1] = "0123456789abcdef"[b & 15];
            if (i < 5) s[i * 3 + 2] = ':';
        }
        return new string(s);
    }

    /// <summary>A boot id as 16 hex digits, or - for none.</summary>
    public static string Boot(ulong boot) => boot == 0 ? "-" : boot.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>A request id as hostd and the controller log it: origin:counter (spec §7.1), or "-".</summary>
    public static string RequestId(ulong? id) => id is { } v ? $"{(uint)(v >> 32):x8}:{(uint)v}" : "-";

    /// <summary>An integer, or - when absent.</summary>
    public static string Number(ulong? n) => n?.ToString(CultureInfo.InvariantCulture) ?? "-";
}
