// HMAC-SHA-256 through the BCL, which is OpenSSL on Linux: the fastest here (SHA extensions), at the price of
// initializing OpenSSL (up to 3.7 MB resident; see HmacImplementation).
using System.Security.Cryptography;

namespace Vmm.Protocol.Crypto;

/// <summary>HMAC-SHA-256 under one key, through the platform's cryptography.</summary>
internal sealed class PlatformHmacSha256(byte[] key) : IKeyedHmac
{
    // One keyed HMAC per thread, reset after each tag: about half the cost of keying HMAC-SHA-256 for every PDU,
    // and no allocation after a thread's first tag. Made on a thread's first tag, so a key never used for tags
    // costs no OpenSSL context.
    private readonly ThreadLocal<IncrementalHash> _hmac = new(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key));

    /// <inheritdoc/>
    public void Compute(ReadOnlySpan<byte> data, Span<byte> mac)
    {
        var hmac = _hmac.Value!;
        hmac.AppendData(data);
        hmac.GetHashAndReset(mac);
    }
}
