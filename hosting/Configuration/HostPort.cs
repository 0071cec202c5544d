using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Vmm.Hosting.Configuration;

/// <summary>
/// A network endpoint as configured: an IP address or a host name, and a port. IPv6 addresses are written
/// in brackets (<c>[2001:db8::1]:7401</c>); without them <c>fe80::1:7401</c> could mean two different things.
/// </summary>
public readonly record struct HostPort(string Host, int Port)
{
    /// <summary>No endpoint: an optional listener that is off.</summary>
    public static readonly HostPort None = new("", 0);

    /// <summary>Whether this names an endpoint (not <see cref="None"/>, nor the default value).</summary>
    public bool IsSet => !string.IsNullOrEmpty(Host);

    /// <summary>The address when <see cref="Host"/> is an IP literal, else null (a name to resolve).</summary>
    public IPAddress? Address => IPAddress.TryParse(Host, out var a) ? a : null;

    /// <summary>An <see cref="IPEndPoint"/> for an address, a <see cref="DnsEndPoint"/> for a name.</summary>
    public EndPoint ToEndPoint() => Address is { } a ? new IPEndPoint(a, Port) : new DnsEndPoint(Host, Port);

    /// <summary>
    /// The address to send to: the literal, or the name's first IPv4 address (else its first address),
    /// looked up now. Throws <see cref="ConfigException"/> with one line when the name does not resolve.
    /// </summary>
    public IPEndPoint Resolve()
    {
        if (Address is { } literal) return new IPEndPoint(literal, Port);
        IPAddress[] found;
        try { found = Dns.GetHostAddresses(Host); }
        catch (SocketException e) { throw new ConfigException($"{this}: cannot resolve {Host}: {e.Message}"); }
        var pick = found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault();
        return pick is null ? throw new ConfigException($"{this}: {Host} has no address") : new IPEndPoint(pick, Port);
    }

    /// <summary><c>host:port</c>, or <c>[v6]:port</c>.</summary>
    public override string ToString() =>
        (Host.Contains(':') ? "[" + Host + "]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses <c>host</c>, <c>host:port</c>, <c>[v6]</c> or <c>[v6]:port</c>; <paramref name="defaultPort"/>
    /// stands in when the port is left out. On false, <paramref name="problem"/> says why, in one line.
    /// </summary>
    public static bool TryParse(string text, int defaultPort, out HostPort value, out string problem, bool allowPortZero = false)
    {
        problem = Problem(text, defaultPort, out value, allowPortZero) ?? "";
        return problem.Length == 0;
    }

    private static string? Problem(string text, int defaultPort, out HostPort value, bool allowPortZero)
    {
        value = default;
        string host;
        string? port = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']');
            if (close < 0) return $"{Quoted(text)} has no closing ']'";
            host = text[1..close];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
                return $"{Quoted(text)}: only an IPv6 address goes in brackets";
            var rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':') return $"{Quoted(text)} is not host:port (expected ':' after ']')";
                port = rest[1..];
            }
        }
        else
        {
            int colon = text.IndexOf(':');
            if (colon >= 0 && text.IndexOf(':', colon + 1) >= 0)
                return IPAddress.TryParse(text, out _)
                    ? $"{Quoted(text)}: write an IPv6 address in brackets, e.g. [{text}]:{defaultPort}"
                    : $"{Quoted(text)} is not host:port (e.g. 192.0.2.1:{defaultPort}, [2001:db8::1]:{defaultPort}, host.example:{defaultPort})";
            host = colon < 0 ? text : text[..colon];
            if (colon >= 0) port = text[(colon + 1)..];
            if (host.Length == 0) return $"{Quoted(text)} has no host (use 0.0.0.0 or [::] for every address)";
            if (!IsHostName(host) && !(IPAddress.TryParse(host, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork))
                return $"{Quoted(text)}: {Quoted(host)} is neither an IP address nor a host name";
        }
        int p = defaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out p) || p > 65535 || (p == 0 && !allowPortZero)))
            return $"{Quoted(text)}: the port must be a number from {(allowPortZero ? 0 : 1)} to 65535";
        value = new HostPort(host, p);
        return null;
    }

    /// <summary>
    /// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens. A name whose last label
    /// is all digits is refused, so a mistyped IPv4 address (<c>10.0.0.256</c>) is not taken for a name.
    /// </summary>
    private static bool IsHostName(string host)
    {
        if (host.Length > 253) return false;
        var labels = host.TrimEnd('.').Split('.');
        foreach (var label in labels)
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-') return false;
            foreach (char c in label)
                if (!char.IsAsciiLetterOrDigit(c) && c != '-') return false;
        }
        return !labels[^1].All(char.IsAsciiDigit);
    }

    private static string Quoted(string text) => Internal.RawValue.Quoted(text);
}
