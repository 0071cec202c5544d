// Which connections hostd keeps (spec §12, "Resource bounds"): at most max-connections in all and
// max-connections-per-source from one source (an IPv4 address, or an IPv6 /64, which one holder usually
// has whole). A connection is "proven" once it has delivered an authentic PDU: only a key holder can do
// that. When a bound is reached, a new connection takes the place of an unproven one (the oldest of its
// own source for the per-source bound; the oldest of the source holding the most unproven ones for the
// global bound), so that idle connections opened by someone without the key never keep a controller out:
// the controller's connection proves itself with its first request, and from then on only proven
// connections can keep it out, which takes the key.
using System.Net;
using System.Net.Sockets;

namespace Vmm.Hostd.Internal;

/// <summary>The connection table's bookkeeping. Thread-safe; every operation is O(1) but an eviction for
/// the global bound, which looks at each source once.</summary>
internal sealed class ConnectionAdmission(int maxConnections, int maxPerSource)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<UInt128, Source> _sources = [];
    private int _count;

    /// <summary>Connections admitted and not released.</summary>
    public int Count { get { lock (_gate) return _count; } }

    /// <summary>Sources with a connection now.</summary>
    public int Sources { get { lock (_gate) return _sources.Count; } }

    /// <summary>
    /// Admits a connection from <paramref name="address"/>, or says why not (null and <paramref name="refusal"/>
    /// names the bound). <paramref name="evicted"/> is the unproven connection it displaces, if any: the caller
    /// closes it. <paramref name="close"/> is how this slot's connection is closed should a later one displace it.
    /// </summary>
    public Slot? TryAdmit(IPAddress address, Action close, out Slot? evicted, out string? refusal)
    {
        var key = SourceKey(address);
        evicted = null;
        refusal = null;
        lock (_gate)
        {
            _sources.TryGetValue(key, out var source);
            if (source is not null && source.Count >= maxPerSource)
            {
                if (source.Unproven.First is not { } oldest)
                {
                    refusal = $"{maxPerSource} connections from this source already (max-connections-per-source)";
                    return null;
                }
                evicted = Evict(oldest.Value);
            }
            if (_count >= maxConnections)
            {
                if (Heaviest() is not { } victim)
                {
                    refusal = $"{maxConnections} connections open already, each of them authenticated (max-connections)";
                    return null;
                }
                evicted = Evict(victim.Unproven.First!.Value);
            }
            if (!_sources.TryGetValue(key, out source)) _sources[key] = source = new Source(key);
            var slot = new Slot(source, close);
            slot.Node = source.Unproven.AddLast(slot);
            source.Count++;
            _count++;
            return slot;
        }
    }

    /// <summary>The connection delivered an authentic PDU: it can no longer be displaced.</summary>
    public void Proven(Slot slot)
    {
        lock (_gate)
        {
            if (slot.Node is null) return;
            slot.Source.Unproven.Remove(slot.Node);
            slot.Node = null;
        }
    }

    /// <summary>The connection closed. Idempotent (an evicted slot was released already).</summary>
    public void Release(Slot slot)
    {
        lock (_gate) Remove(slot);
    }

    private Slot Evict(Slot slot)
    {
        Remove(slot);
        return slot;
    }

    private void Remove(Slot slot)
    {
        if (slot.Released) return;
        slot.Released = true;
        var source = slot.Source;
        if (slot.Node is not null) source.Unproven.Remove(slot.Node);
        slot.Node = null;
        if (--source.Count == 0) _sources.Remove(source.Key);
        _count--;
    }

    // The source holding the most unproven connections, or null when none holds any.
    private Source? Heaviest()
    {
        Source? heaviest = null;
        foreach (var source in _sources.Values)
            if (source.Unproven.Count > (heaviest?.Unproven.Count ?? 0)) heaviest = source;
        return heaviest;
    }

    /// <summary>What counts as one source: an IPv4 address (mapped into IPv6 or not), or an IPv6 /64.</summary>
    public static UInt128 SourceKey(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes[12..], out _);
            bytes[10] = bytes[11] = 0xFF;
        }
        else
        {
            address.TryWriteBytes(bytes, out _);
            bytes[8..].Clear();
        }
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    /// <summary>The source a log line names: the address, or the /64 for IPv6.</summary>
    public static string SourceName(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetwork) return address.ToString();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    /// <summary>One source's connections: how many, and the unproven ones oldest first.</summary>
    internal sealed class Source(UInt128 key)
    {
        public UInt128 Key { get; } = key;
        public int Count;
        public readonly LinkedList<Slot> Unproven = new();
    }

    /// <summary>One admitted connection's place in the table.</summary>
    internal sealed class Slot(Source source, Action close)
    {
        internal Source Source { get; } = source;
        internal LinkedListNode<Slot>? Node;
        internal bool Released;

        /// <summary>Closes the connection (after it was displaced).</summary>
        public void Close() => close();
    }
}
