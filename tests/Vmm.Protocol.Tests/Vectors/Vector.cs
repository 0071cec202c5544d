// The spec's test vectors (spec/vectors/*.vec): reading a file and checking it against the codec.
using System.Text;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;
using Xunit.Sdk;

namespace Vmm.Protocol.Tests.Vectors;

/// <summary>
/// One vector file:
/// <code>
/// # comments and blank lines are ignored
/// note: free text
/// transport: stream | datagram      (default stream; datagram = at most 1200 bytes, exactly one PDU)
/// master: 64 hex digits             (the cluster master key; with host:, key: must be host's key under it)
/// host: a host name                 (the host the PDU is to or from)
/// key: 64 hex digits                (the key the PDU is signed with: authenticated before decoding; a
///                                    datagram is checked, as a controller does, with the key derived from
///                                    master: for the host the STATE names)
/// text: the one-line text form      (positive vectors)
/// hex: 564d0103...                  (may continue on lines that begin with whitespace)
/// error: bad-tag                    (negative vectors: a ProtocolErrorCodes.Name(), or need-more)
/// </code>
/// A vector with an error is negative, whether or not it has a text (which then documents the intent).
/// </summary>
public sealed record Vector(string Name, string? Note, bool Datagram, string? Key, string? Text, byte[] Bytes, string? Error,
    string? Master = null, string? Host = null)
{
    public const string NeedMore = "need-more";

    public bool IsNegative => Error is not null;

    /// <summary>Reads a vector file; a malformed file throws <see cref="FormatException"/> naming the line.</summary>
    public static Vector Parse(string name, string content)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        string? last = null;
        var lines = content.ReplaceLineEndings("\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            string where = $"{name}:{i + 1}";
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
            if (char.IsWhiteSpace(line[0]))
            {
                if (last != "hex") throw new FormatException($"{where}: only hex: may continue on an indented line");
                fields["hex"] += line.Trim();
                continue;
            }
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) throw new FormatException($"{where}: expected 'field: value'");
            string field = line[..colon].Trim();
            if (field is not ("note" or "transport" or "master" or "host" or "key" or "text" or "hex" or "error"))
                throw new FormatException($"{where}: unknown field '{field}' (note, transport, master, host, key, text, hex, error)");
            if (!fields.TryAdd(field, line[(colon + 1)..].Trim())) throw new FormatException($"{where}: {field}: appears twice");
            last = field;
        }

        if (!fields.TryGetValue("hex", out string? hex)) throw new FormatException($"{name}: has no hex:");
        hex = string.Concat(hex.Where(c => !char.IsWhiteSpace(c)));
        if (hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit)) throw new FormatException($"{name}: hex: is not an even number of hex digits");

        bool datagram = fields.GetValueOrDefault("transport", "stream") switch
        {
            "stream" => false,
            "datagram" => true,
            var t => throw new FormatException($"{name}: transport: '{t}' is neither stream nor datagram"),
        };
        string? error = fields.GetValueOrDefault("error");
        string? text = fields.GetValueOrDefault("text");
        if (error is null && text is null) throw new FormatException($"{name}: needs text: (positive vector) or error: (negative vector)");
        if (error is not null && !KnownErrors.Contains(error))
            throw new FormatException($"{name}: error: '{error}' is not an error code name ({string.Join(", ", KnownErrors)})");
        if (error == NeedMore && datagram) throw new FormatException($"{name}: need-more is a stream outcome; a datagram is whole or Truncated");
        string? key = fields.GetValueOrDefault("key");
        if (key is not null && (key.Length != 64 || !key.All(char.IsAsciiHexDigit))) throw new FormatException($"{name}: key: must be 64 hex digits");
        string? master = fields.GetValueOrDefault("master"), host = fields.GetValueOrDefault("host");
        if ((master is null) != (host is null)) throw new FormatException($"{name}: master: and host: go together");
        if (master is not null)
        {
            if (master.Length != 64 || !master.All(char.IsAsciiHexDigit)) throw new FormatException($"{name}: master: must be 64 hex digits");
            if (key is null) throw new FormatException($"{name}: master: needs key: (the host's key under it)");
            if (!ClusterKey.Parse(master).DeriveHostKey(host!).SameAs(ClusterKey.Parse(key)))
                throw new FormatException($"{name}: key: is not the host key of {host} under master: (spec §3.3)");
        }

        return new Vector(name, fields.GetValueOrDefault("note"), datagram, key, text, Convert.FromHexString(hex), error, master, host);
    }

    private static readonly string[] KnownErrors =
        [.. Enum.GetValues<ProtocolErrorCode>().Select(c => c.Name()), NeedMore];

    /// <summary>Checks the vector against the codec; throws with a message saying which part disagrees.</summary>
    public void Check()
    {
        var key = Key is null ? null : ClusterKey.Parse(Key);
        if (IsNegative) CheckNegative(key);
        else CheckPositive(key);
    }

    /// <summary>Decodes as the transport would, authenticating first when there is a key. Null: need more bytes.</summary>
    private Pdu? Decode(ClusterKey? key, out int consumed)
    {
        if (Datagram)
        {
            consumed = Bytes.Length;
            if (key is null) return PduCodec.Decode(Bytes, PduHeader.MaxDatagram);
            PduFraming.ReadDatagram(Bytes, PduHeader.MaxDatagram);
            // A controller holds only the master: it checks a STATE with the key of the host the STATE names.
            if (Master is not null && StateView.TryPeekHost(PduCodec.Body(Bytes), out var named))
                key = ClusterKey.Parse(Master).DeriveHostKey(named);
            return PduCodec.Decode(Bytes, key, PduHeader.MaxDatagram);
        }
        if (!PduFraming.TryReadFrame(Bytes, out _, out consumed)) return null;
        key?.Authenticate(Bytes.AsSpan(0, consumed));
        Assert.True(PduCodec.TryDecode(Bytes, out var pdu, out consumed));
        return pdu;
    }

    private void CheckPositive(ClusterKey? key)
    {
        string text = Text!;
        Pdu? decoded;
        int consumed;
        try { decoded = Decode(key, out consumed); }
        catch (ProtocolException e) { throw new XunitException($"{Name}: decoding failed with {e.Code.Name()}: {e.Message}"); }
        if (decoded is null) throw new XunitException($"{Name}: the stream decoder wants more than the {Bytes.Length} bytes given");
        if (consumed != Bytes.Length) throw new XunitException($"{Name}: the PDU is {consumed} bytes; {Bytes.Length - consumed} bytes follow it");

        // (a) the bytes decode to the text.
        string formatted = PduText.Format(decoded);
        if (formatted != text) throw new XunitException($"{Name}: decoded hex formats as\n  {formatted}\nnot\n  {text}");

        // (b) the text encodes to the bytes.
        Pdu parsed;
        try { parsed = PduText.Parse(text); }
        catch (FormatException e) { throw new XunitException($"{Name}: text: does not parse: {e.Message}"); }
        byte[] encoded;
        try { encoded = PduCodec.ToBytes(parsed, key); }
        catch (ProtocolException e) { throw new XunitException($"{Name}: text: does not encode: {e.Code.Name()}: {e.Message}"); }
        string want = Convert.ToHexStringLower(Bytes), got = Convert.ToHexStringLower(encoded);
        if (got != want) throw new XunitException($"{Name}: text encodes as\n  {got}\nnot\n  {want}\n  first difference at byte {FirstDifference(encoded, Bytes)}");

        // (c) the parsed text is the decoded PDU.
        if (!parsed.Equals(decoded)) throw new XunitException($"{Name}: Parse(text) differs from the decoded PDU");
    }

    private void CheckNegative(ClusterKey? key)
    {
        Pdu? decoded;
        try { decoded = Decode(key, out _); }
        catch (ProtocolException e)
        {
            if (e.Code.Name() != Error) throw new XunitException($"{Name}: expected {Error}, got {e.Code.Name()}: {e.Message}");
            return;
        }
        if (decoded is null)
        {
            if (Error != NeedMore) throw new XunitException($"{Name}: expected {Error}, but the stream decoder waits for more bytes");
            return;
        }
        throw new XunitException($"{Name}: expected {Error}, but it decoded as: {PduText.Format(decoded)}");
    }

    private static int FirstDifference(byte[] a, byte[] b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
            if (a[i] != b[i]) return i;
        return n;
    }

    /// <summary>Writes a vector file in the format <see cref="Parse"/> reads (used to make local samples).</summary>
    public static string Write(string? note, bool datagram, string? key, string? text, ReadOnlySpan<byte> bytes, string? error)
    {
        var sb = new StringBuilder("# written by Vmm.Protocol.Tests\n");
        if (note is not null) sb.Append("note: ").Append(note).Append('\n');
        if (datagram) sb.Append("transport: datagram\n");
        if (key is not null) sb.Append("key: ").Append(key).Append('\n');
        if (text is not null) sb.Append("text: ").Append(text).Append('\n');
        string hex = Convert.ToHexStringLower(bytes);
        sb.Append("hex: ").Append(hex[..Math.Min(hex.Length, 64)]).Append('\n');
        for (int i = 64; i < hex.Length; i += 64) sb.Append("  ").Append(hex[i..Math.Min(hex.Length, i + 64)]).Append('\n');
        if (error is not null) sb.Append("error: ").Append(error).Append('\n');
        return sb.ToString();
    }
}
