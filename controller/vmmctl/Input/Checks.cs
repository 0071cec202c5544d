using System.Globalization;
using Vmm.Protocol;

namespace Vmm.Ctl.Input;

/// <summary>
/// Operands checked against the protocol's value rules (spec §5.2) before anything is sent, so a bad one is a
/// usage error naming the operand rather than a refusal from the controller.
/// </summary>
internal static class Checks
{
    /// <summary>A name (host, VM, network, snapshot...) of at most <paramref name="max"/> bytes.</summary>
    public static string Name(string value, string what, int max = Validation.MaxNameLength)
    {
        if (Validation.NameProblem(value, what) is { } problem) throw new UsageException(problem);
        if (value.Length > max) throw new UsageException($"{what} '{value}' is longer than {max} characters");
        return value;
    }

    /// <summary>A VM reference: its name or its uuid, as text of at most 255 bytes (the ref attribute).</summary>
    public static string Ref(string value)
    {
        if (value.Length == 0) throw new UsageException("VM is empty: give its name or its uuid");
        if (!Validation.IsText(value) || System.Text.Encoding.UTF8.GetByteCount(value) > 255)
            throw new UsageException($"VM '{Validation.Shorten(value)}' is not a VM name or uuid (text of at most 255 bytes)");
        return value;
    }

    /// <summary>A MAC address as six ':'- or '-'-separated hex pairs, in the low 48 bits.</summary>
    public static ulong Mac(string value)
    {
        var parts = value.Split(':', '-');
        ulong mac = 0;
        if (parts.Length != 6) throw BadMac(value);
        foreach (var p in parts)
        {
            if (p.Length != 2 || !byte.TryParse(p, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b)) throw BadMac(value);
            mac = (mac << 8) | b;
        }
        return mac;
    }

    /// <summary>
    /// A request id as vmmctl prints it: ORIGIN:COUNTER (8 hex digits, a decimal counter; spec §7.1), or as --json
    /// gives it (decimal), or 0x and 16 hex digits. Never 0.
    /// </summary>
    public static ulong RequestId(string value, string what)
    {
        if (ParseRequestId(value) is { } id and not 0) return id;
        throw new UsageException($"{what} '{Validation.Shorten(value)}' is not a request id: give it as vmmctl printed it, such as 5a17c0de:22 (or --json's request-id)");
    }

    private static ulong? ParseRequestId(string value)
    {
        const NumberStyles hex = NumberStyles.AllowHexSpecifier;
        var inv = CultureInfo.InvariantCulture;
        if (value.Split(':') is [var origin, var counter])
            return uint.TryParse(origin, hex, inv, out uint o) && uint.TryParse(counter, NumberStyles.None, inv, out uint c) ? (ulong)o << 32 | c : null;
        if (value.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return ulong.TryParse(value.AsSpan(2), hex, inv, out ulong h) ? h : null;
        return ulong.TryParse(value, NumberStyles.None, inv, out ulong d) ? d : null;
    }

    private static UsageException BadMac(string value) =>
        new($"MAC '{Validation.Shorten(value)}' is not six hex pairs such as 52:54:00:12:34:56");
}
