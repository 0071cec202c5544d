namespace Vmm.Protocol;

/// <summary>Bytes with value equality: the value of an attribute the receiver does not know.</summary>
public sealed class Blob(byte[] bytes) : IEquatable<Blob>
{
    /// <summary>The bytes.</summary>
    public byte[] Bytes { get; } = bytes;

    /// <inheritdoc/>
    public bool Equals(Blob? other) => other is not null && Bytes.AsSpan().SequenceEqual(other.Bytes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Blob b && Equals(b);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.AddBytes(Bytes);
        return h.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => Convert.ToHexStringLower(Bytes);
}
