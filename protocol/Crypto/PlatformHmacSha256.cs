// HMAC-SHA-256 through the BCL, which is OpenSSL on Linux: the fastest here (SHA extensions), at the price of
// initializing OpenSSL (up to 3.7 MB resident; see HmacImplementation).
using System.Security.Cryptography;

namespace Vmm.Protocol.Crypto;

/// <summary>HMAC-SHA-256 under one key, through the platform's cryptography.</summary>
internal sealed class PlatformHmacSha256(byte[] key) : IKeyedHmac
{
    // One keyed HMAC per key, reset after each tag: about half the cost of keying HMAC-SHA-256 for every PDU, and
    // no allocation. A tag takes it and puts it back; a thread that finds it taken (rare: one host's datagrams
    // arrive on one ingest thread) keys one for itself, which is dropped if the first is back by then. One per
    // thread per key (ThreadLocal) instead cost about 1.3 KB more per key for each thread that ever tagged with it
    // (10,000 keys used from 4 threads in turn: 5.6 KB against 2.4 KB a key, at the same speed).
    private IncrementalHash? _idle;

    /// <inheritdoc/>
    public void Compute(ReadOnlySpan<byte> data, Span<byte> mac)
    {
        var hmac = Interlocked.Exchange(ref _idle, null) ?? IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(data);
        hmac.GetHashAndReset(mac);
        if (Interlocked.CompareExchange(ref _idle, hmac, null) is not null) hmac.Dispose();
    }
}
