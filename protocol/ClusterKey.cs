using System.Security.Cryptography;
using System.Text;
using Vmm.Protocol.Crypto;

namespace Vmm.Protocol;

/// <summary>
/// One 32-byte key and the authentication tag (spec §3.3): tag = first 16 bytes of
/// HMAC-SHA-256(key, every byte of the PDU before the tag). The key is either a cluster master key (controllers)
/// or a host key derived from it (<see cref="DeriveHostKey(ReadOnlySpan{byte})"/>; one hostd). The key id in the
/// header is derived from the key, so a receiver can tell "signed with another key" from "altered in transit"
/// without a configured id. Tags come from the platform's cryptography unless the key is made with
/// <see cref="HmacImplementation.Managed"/> (hostd: <see cref="With(HmacImplementation)"/>).
/// </summary>
public sealed class ClusterKey
{
    /// <summary>Key length in bytes.</summary>
    public const int Length = 32;

    private readonly byte[] _key;
    private readonly IKeyedHmac _hmac;

    /// <summary>Wraps 32 key bytes; tags through the platform's cryptography.</summary>
    public ClusterKey(ReadOnlySpan<byte> key)
        : this(key, HmacImplementation.Platform)
    {
    }

    /// <summary>Wraps 32 key bytes; tags through <paramref name="hmac"/>.</summary>
    public ClusterKey(ReadOnlySpan<byte> key, HmacImplementation hmac)
    {
        if (key.Length != Length) throw new ArgumentException($"a cluster key is {Length} bytes, not {key.Length}", nameof(key));
        _key = key.ToArray();
        Id = DeriveId(key);
        Hmac = hmac;
        _hmac = hmac switch
        {
            HmacImplementation.Platform => new PlatformHmacSha256(_key),
            HmacImplementation.Managed => new ManagedHmacSha256(_key),
            _ => throw new ArgumentOutOfRangeException(nameof(hmac), hmac, "no such HMAC implementation"),
        };
    }

    /// <summary>The key id carried in headers: never 0, which means unsigned.</summary>
    public byte Id { get; }

    /// <summary>Which code computes this key's tags.</summary>
    public HmacImplementation Hmac { get; }

    /// <summary>The same key, its tags computed by <paramref name="hmac"/>.</summary>
    public ClusterKey With(HmacImplementation hmac) => hmac == Hmac ? this : new ClusterKey(_key, hmac);

    /// <summary>A fresh random key.</summary>
    public static ClusterKey Generate() => new(RandomNumberGenerator.GetBytes(Length));

    /// <summary>The key as 64 lower-case hex digits.</summary>
    public string ToHex() => Convert.ToHexStringLower(_key);

    /// <summary>The text of a master key file (spec §3.3): <c>master</c>, the 64 hex digits, a newline.</summary>
    public string ToFileText() => new KeyFileContents(this, null).ToFileText();

    /// <summary>The key of key file text of either kind (spec §3.3); see <see cref="KeyFileContents.Parse"/>.</summary>
    public static ClusterKey Parse(string text) => KeyFileContents.Parse(text).Key;

    /// <summary>The key of a key file of either kind; throws <see cref="FormatException"/> naming the file.</summary>
    public static ClusterKey Load(string path) => KeyFileContents.Load(path).Key;

    /// <summary>The label that starts HKDF's info for a host key (spec §3.3).</summary>
    public static ReadOnlySpan<byte> HostKeyLabel => "vmm host key v1"u8;

    /// <summary>
    /// The host key of <paramref name="hostName"/> (its UTF-8 bytes, exactly as STATE carries them) under this
    /// master key (spec §3.3): HKDF-SHA-256 (RFC 5869) with the master as input key material, no salt, and
    /// info = "vmm host key v1" || host name; 32 bytes. Through the platform's cryptography whatever
    /// <see cref="Hmac"/> is (only controllers and vmmctl derive keys); the host key tags as this key does.
    /// </summary>
    public ClusterKey DeriveHostKey(ReadOnlySpan<byte> hostName)
    {
        Span<byte> info = stackalloc byte[HostKeyLabel.Length + 255];
        if (hostName.Length > 255) throw new ArgumentException("a host name is at most 255 bytes", nameof(hostName));
        HostKeyLabel.CopyTo(info);
        hostName.CopyTo(info[HostKeyLabel.Length..]);
        Span<byte> derived = stackalloc byte[Length];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, derived, ReadOnlySpan<byte>.Empty, info[..(HostKeyLabel.Length + hostName.Length)]);
        return new ClusterKey(derived, Hmac);
    }

    /// <summary>The host key of <paramref name="hostName"/> under this master key.</summary>
    public ClusterKey DeriveHostKey(string hostName) => DeriveHostKey(Encoding.UTF8.GetBytes(hostName));

    /// <summary>True when both hold the same key bytes (constant time).</summary>
    public bool SameAs(ClusterKey other) => CryptographicOperations.FixedTimeEquals(_key, other._key);

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
            Throw.Stream(ProtocolErrorCode.Unsigned, "PDU is unsigned (key id 0) but this transport requires a key");
        if (id != Id)
            Throw.Stream(ProtocolErrorCode.WrongKey, $"PDU is signed with another key (key id 0x{id:x2}; this end holds 0x{Id:x2})");
        if (!Verify(pdu))
            Throw.Stream(ProtocolErrorCode.BadTag, "authentication tag does not verify: the PDU was altered or forged");
    }

    private void ComputeTag(ReadOnlySpan<byte> covered, Span<byte> tag)
    {
        Span<byte> mac = stackalloc byte[Sha256.HashSize];
        _hmac.Compute(covered, mac);
        mac[..PduHeader.TagSize].CopyTo(tag);
    }

    private static byte DeriveId(ReadOnlySpan<byte> key)
    {
        // id = first byte of SHA-256("vmm key id" || key), with 0 (unsigned) mapped to 1. Our own SHA-256 for
        // every key: one hash per key is cheap, and a hostd then loads no OpenSSL for it.
        Span<byte> input = stackalloc byte[10 + Length];
        "vmm key id"u8.CopyTo(input);
        key.CopyTo(input[10..]);
        Span<byte> hash = stackalloc byte[Sha256.HashSize];
        Sha256.Hash(input, hash);
        return hash[0] == 0 ? (byte)1 : hash[0];
    }
}
