namespace Vmm.Protocol;

/// <summary>A list with value equality, so that PDU records compare by content.</summary>
public class EqList<T> : List<T>, IEquatable<EqList<T>>
{
    /// <summary>An empty list.</summary>
    public EqList() { }

    /// <summary>A list holding <paramref name="items"/>.</summary>
    public EqList(IEnumerable<T> items) : base(items) { }

    /// <inheritdoc/>
    public bool Equals(EqList<T>? other) => other is not null && this.SequenceEqual(other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is EqList<T> o && Equals(o);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var x in this) h.Add(x);
        return h.ToHashCode();
    }
}

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
