using System.Text;

namespace Vmm.Protocol;

/// <summary>
/// What a key file holds (spec §3.3): a cluster master key (controllers) or the host key of one named host
/// (that host's hostd). One key line, its fields separated by white space; blank lines and lines starting with
/// '#' are ignored:
/// <code>
/// master 64HEXDIG          ; the cluster master key
/// host NAME 64HEXDIG       ; the host key of NAME
/// 64HEXDIG                 ; the version 1 form: read as a master key
/// </code>
/// </summary>
/// <param name="Key">The key.</param>
/// <param name="Host">The host a host key is for; null for a master key.</param>
public sealed record KeyFileContents(ClusterKey Key, string? Host)
{
    /// <summary>True for a cluster master key.</summary>
    public bool IsMaster => Host is null;

    /// <summary>"the master key" or "the host key of hv-01", for messages.</summary>
    public string Describe() => Host is null ? "the cluster master key" : $"the host key of {Host}";

    /// <summary>The file's text: one key line and a newline.</summary>
    public string ToFileText() => Host is null ? $"master {Key.ToHex()}\n" : $"host {Host} {Key.ToHex()}\n";

    /// <summary>Parses key file text; throws <see cref="FormatException"/> with a one-line reason.</summary>
    public static KeyFileContents Parse(string text)
    {
        string? found = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            if (found is not null) throw new FormatException("holds more than one key line");
            found = line;
        }
        if (found is null) throw new FormatException("holds no key (expected `master HEX` or `host NAME HEX`, HEX being 64 hex digits)");
        var fields = found.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return fields switch
        {
            ["master", var hex] => new(Hex(hex), null),
            ["host", var name, var hex] => new(Hex(hex), HostName(name)),
            [var hex] when hex.Length == ClusterKey.Length * 2 => new(Hex(hex), null),
            _ => throw new FormatException(
                $"key line must be `master HEX` or `host NAME HEX` (HEX: {ClusterKey.Length * 2} hex digits), not '{Validation.Shorten(found)}'"),
        };
    }

    /// <summary>Reads a key file; throws <see cref="FormatException"/> naming the file for any problem.</summary>
    public static KeyFileContents Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path, Encoding.UTF8); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"cannot read key file {path}: {e.Message}");
        }
        try { return Parse(text); }
        catch (FormatException e) { throw new FormatException($"key file {path} {e.Message}"); }
    }

    private static string HostName(string name) =>
        Validation.IsName(Encoding.UTF8.GetBytes(name))
            ? name
            : throw new FormatException($"names host '{Validation.Shorten(name)}', which is not a valid host name");

    private static ClusterKey Hex(string hex)
    {
        if (hex.Length != ClusterKey.Length * 2)
            throw new FormatException($"key must be exactly {ClusterKey.Length * 2} hex digits, found {hex.Length} characters");
        int bad = hex.AsSpan().IndexOfAnyExcept("0123456789abcdefABCDEF");
        if (bad >= 0)
            throw new FormatException($"key has '{Validation.Shorten(hex[bad].ToString())}' at position {bad + 1}, which is not a hex digit");
        return new ClusterKey(Convert.FromHexString(hex));
    }
}
