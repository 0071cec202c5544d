namespace Vmm.Protocol.Crypto;

/// <summary>HMAC-SHA-256 under one key, safe to call from any number of threads at once.</summary>
internal interface IKeyedHmac
{
    /// <summary>Writes the 32-byte HMAC of <paramref name="data"/> into the start of <paramref name="mac"/>.</summary>
    void Compute(ReadOnlySpan<byte> data, Span<byte> mac);
}
