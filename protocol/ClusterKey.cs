using System.Security.Cryptography;
using System.Text;

namespace Vmm.Protocol;

/// <summary>
/// The cluster key and the authentication tag (spec §3.3): tag = first 16 bytes of
/// HMAC-SHA-256(key, every byte of the PDU before the tag). The key id in the header is derived from the key,
/// so a receiver can tell "signed with another key" from "altered in transit" without a configured id.
/// </summary>
public sealed class ClusterKey
{
    /// <summary>Key length in bytes.</summary>
    public const int Length = 32;

    private readonly byte[] _key;

    // One keyed HMAC per thread, reset after each tag: about half the cost of keying HMAC-SHA-256 for every PDU,
    // and no allocation after a thread's first tag.
    private readonly ThreadLocal<IncrementalHash> _hmac;

    /// <summary>Wraps 32 key bytes.</summary>
    public ClusterKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != Length) throw new ArgumentException($"a cluster key is {Length} bytes, not {key.Length}", nameof(key));
        _key = key.ToArray();
        Id = DeriveId(key);
        _hmac = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key));
    }

    /// <summary>The key id carried in headers: never 0, which means unsigned.</summary>
    public byte Id { get; }

    /// <summary>A fresh random key.</summary>
    public static ClusterKey Generate() => new(RandomNumberGenerator.GetBytes(Length));

    /// <summary>The key file's text: 64 hex digits and a newline (spec §3.3).</summary>
    public string ToFileText() => Convert.ToHexStringLower(_key) + "\n";

    /// <summary>
    /// Parses key file text: 64 hex digits; blank lines and lines starting with '#' are ignored.
    /// Throws <see cref="FormatException"/> with a one-line reason.
    /// </summary>
    public static ClusterKey Parse(string text)
    {
        string? hex = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            if (hex is not null) throw new FormatException("holds more than one key line");
            hex = line;
        }
        if (hex is null) throw new FormatException("holds no key (expected 64 hex digits)");
        if (hex.Length != Length * 2)
            throw new FormatException($"key line must be exactly {Length * 2} hex digits, found {hex.Length} characters");
        int bad = hex.AsSpan().IndexOfAnyExcept("0123456789abcdefABCDEF");
        if (bad >= 0)
            throw new FormatException($"key line has '{Validation.Shorten(hex[bad].ToString())}' at position {bad + 1}, which is not a hex digit");
        return new ClusterKey(Convert.FromHexString(hex));
    }

    /// <summary>Reads a key file; throws <see cref="FormatException"/> naming the file for any problem.</summary>
    public static ClusterKey Load(string path)
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

    /// <summary>Writes the header's key id and the tag of a complete PDU in place.</summary>
    public void Sign(Span<byte> pdu)
    {
        pdu[5] = Id;
        ComputeTag(pdu[..^PduHeader.TagSize], pdu[^PduHeader.TagSize..]);
    }

    /// <summary>True when the tag of a complete PDU verifies under this key (constant-time compare).</summary>
    public bool Verify(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length < PduHeader.MinPduSize) return false;
        Span<byte> tag = stackalloc byte[PduHeader.TagSize];
        ComputeTag(pdu[..^PduHeader.TagSize], tag);
        return CryptographicOperations.FixedTimeEquals(tag, pdu[^PduHeader.TagSize..]);
    }

    /// <summary>
    /// Checks the key id then the tag of a complete PDU (spec §3.3), throwing Unsigned, WrongKey or BadTag.
    /// </summary>
    public void Authenticate(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length < PduHeader.MinPduSize)
            Throw.Stream(ProtocolErrorCode.BadLength, $"{pdu.Length} bytes are too few for a signed PDU (at least {PduHeader.MinPduSize})");
        byte id = pdu[5];
        if (id == 0)
            Throw.Stream(ProtocolErrorCode.Unsigned, "PDU is unsigned (key id 0) but this transport requires the cluster key");
        if (id != Id)
            Throw.Stream(ProtocolErrorCode.WrongKey, $"PDU is signed with another cluster key (key id 0x{id:x2}; this end holds 0x{Id:x2})");
        if (!Verify(pdu))
            Throw.Stream(ProtocolErrorCode.BadTag, "authentication tag does not verify: the PDU was altered or forged");
    }

    private void ComputeTag(ReadOnlySpan<byte> covered, Span<byte> tag)
    {
        Span<byte> mac = stackalloc byte[32];
        var hmac = _hmac.Value!;
        hmac.AppendData(covered);
        hmac.GetHashAndReset(mac);
        mac[..PduHeader.TagSize].CopyTo(tag);
    }

    private static byte DeriveId(ReadOnlySpan<byte> key)
    {
        // id = first byte of SHA-256("vmm key id" || key), with 0 (unsigned) mapped to 1.
        Span<byte> input = stackalloc byte[10 + Length];
        "vmm key id"u8.CopyTo(input);
        key.CopyTo(input[10..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        return hash[0] == 0 ? (byte)1 : hash[0];
    }
}
