// HMAC-SHA-256 as RFC 2104 defines it, over our own SHA-256 (Sha256.cs): H(K0 ^ opad || H(K0 ^ ipad || text)).
// The two padded-key blocks are compressed once, when the key is made; a tag then starts from copies of those
// two states, so it costs two compressions fewer than keying afresh, allocates nothing, and any number of
// threads can tag at once with no lock (the states are never written after the constructor).
namespace Vmm.Protocol.Crypto;

/// <summary>HMAC-SHA-256 under one key, in managed code only.</summary>
internal sealed class ManagedHmacSha256 : IKeyedHmac
{
    private const byte Ipad = 0x36, Opad = 0x5c;

    private readonly Sha256State _inner;
    private readonly Sha256State _outer;

    /// <summary>Keys the HMAC with <paramref name="key"/> of any length (RFC 2104 §2: a key longer than a block is hashed first).</summary>
    public ManagedHmacSha256(ReadOnlySpan<byte> key)
    {
        Span<byte> k0 = stackalloc byte[Sha256.BlockSize];
        k0.Clear();
        if (key.Length > Sha256.BlockSize) Sha256.Hash(key, k0);
        else key.CopyTo(k0);

        Span<byte> padded = stackalloc byte[Sha256.BlockSize];
        _inner = Keyed(k0, Ipad, padded);
        _outer = Keyed(k0, Opad, padded);
        padded.Clear();
        k0.Clear();
    }

    /// <inheritdoc/>
    public void Compute(ReadOnlySpan<byte> data, Span<byte> mac)
    {
        Span<byte> innerHash = stackalloc byte[Sha256.HashSize];
        var state = _inner;
        Sha256.Finish(ref state, Sha256.BlockSize, data, innerHash);
        state = _outer;
        Sha256.Finish(ref state, Sha256.BlockSize, innerHash, mac);
    }

    private static Sha256State Keyed(ReadOnlySpan<byte> k0, byte pad, Span<byte> padded)
    {
        for (int i = 0; i < padded.Length; i++) padded[i] = (byte)(k0[i] ^ pad);
        var state = Sha256.Initial;
        Sha256.Compress(ref state, padded);
        return state;
    }
}
