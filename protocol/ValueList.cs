// The lists inside PDU records (attribute lists, a STATE's VM records). A record compares by value, so its lists
// must too; and a value that is compared or hashed must not change under whoever holds it: a record in a
// dictionary, a cached ACK that several connections read. So a list is built with Add, then frozen: when a record
// takes it (the records' init accessors call Freeze) or when it is first hashed. After that every Add throws, and
// its equality and hash are fixed for good. Until then it is a builder that only its maker holds.
using System.Collections;

namespace Vmm.Protocol;

/// <summary>A list with value equality that is built, then frozen: once frozen (see <see cref="Freeze"/>) it can
/// no longer change, so neither can its equality or hash.</summary>
public class ValueList<T> : IReadOnlyList<T>, IEquatable<ValueList<T>>
{
    private T[] _items = [];
    private int _count;
    private volatile bool _frozen;

    /// <summary>The empty list, frozen.</summary>
    public static ValueList<T> Empty { get; } = new ValueList<T>().Freeze();

    /// <summary>An empty list, open for <see cref="Add(T)"/>.</summary>
    public ValueList() { }

    /// <summary>A list holding <paramref name="items"/>, open for more.</summary>
    public ValueList(IEnumerable<T> items)
    {
        foreach (var item in items) Add(item);
    }

    /// <inheritdoc/>
    public int Count => _count;

    /// <inheritdoc/>
    public T this[int index] => (uint)index < (uint)_count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>True once the list can no longer change.</summary>
    public bool IsFrozen => _frozen;

    /// <summary>Adds <paramref name="item"/> at the end.</summary>
    /// <exception cref="InvalidOperationException">The list is frozen.</exception>
    public void Add(T item) => Insert(_count, item);

    /// <summary>Puts <paramref name="item"/> at <paramref name="index"/>, after the items before it.</summary>
    /// <exception cref="InvalidOperationException">The list is frozen.</exception>
    protected void Insert(int index, T item)
    {
        if (_frozen) throw new InvalidOperationException("this list is frozen (a PDU record holds it, or it was hashed): copy it to change it");
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)index, (uint)_count, nameof(index));
        if (_count == _items.Length) Array.Resize(ref _items, Math.Max(4, _count * 2));
        Array.Copy(_items, index, _items, index + 1, _count - index);
        _items[index] = item;
        _count++;
    }

    /// <summary>Makes the list read-only for good; returns it.</summary>
    public ValueList<T> Freeze()
    {
        _frozen = true;
        return this;
    }

    /// <summary>An enumerator that allocates nothing.</summary>
    public Enumerator GetEnumerator() => new(_items, _count);

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public bool Equals(ValueList<T>? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other)) return true;
        if (other._count != _count) return false;
        var comparer = EqualityComparer<T>.Default;
        for (int i = 0; i < _count; i++)
            if (!comparer.Equals(_items[i], other._items[i])) return false;
        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ValueList<T> o && Equals(o);

    /// <summary>The hash of the items; the list is frozen first, so that the hash stays true.</summary>
    public override int GetHashCode()
    {
        Freeze();
        var h = new HashCode();
        for (int i = 0; i < _count; i++) h.Add(_items[i]);
        return h.ToHashCode();
    }

    /// <summary>Walks the items that were in the list when it began.</summary>
    public struct Enumerator(T[] items, int count) : IEnumerator<T>
    {
        private int _index = -1;

        /// <inheritdoc/>
        public readonly T Current => items[_index];

        readonly object? IEnumerator.Current => Current;

        /// <inheritdoc/>
        public bool MoveNext() => ++_index < count;

        /// <inheritdoc/>
        public void Reset() => _index = -1;

        /// <inheritdoc/>
        public readonly void Dispose() { }
    }
}
