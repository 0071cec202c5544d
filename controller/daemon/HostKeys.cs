// The controller's keys (spec §3.3): it holds the cluster master key (and a second one while keys rotate)
// and derives each host's key from it when first needed, so nothing per host is configured or stored on disk.
// Derived keys are cached in memory, bounded: ingest caches a host's keys only once a datagram signed with
// them verified, so datagrams naming made-up hosts cost a derivation each and never fill the cache.
using System.Text;
using Vmm.Controller.Inventory;
using Vmm.Protocol;

namespace Vmm.Controller;

/// <summary>The master keys and a bounded cache of the host keys derived from them.</summary>
internal sealed class HostKeys
{
    private readonly Lock _gate = new();
    private readonly int _capacity;
    private Masters _masters;
    // Host name bytes to that host's ring (its key under each master); guarded by _gate.
    private Dictionary<byte[], KeyRing> _cache;
    private long _derivations;

    private sealed record Masters(ClusterKey Signing, ClusterKey? Second);

    /// <summary>Keys derived from <paramref name="master"/> (signs) and <paramref name="second"/> (accepted
    /// while rotating); at most <paramref name="capacity"/> hosts' keys are cached.</summary>
    public HostKeys(ClusterKey master, ClusterKey? second = null, int capacity = 65536)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _masters = new Masters(master, second);
        _cache = new Dictionary<byte[], KeyRing>(HostNameComparer.Instance);
    }

    /// <summary>The master key requests are signed under.</summary>
    public ClusterKey Master
    {
        get { lock (_gate) return _masters.Signing; }
    }

    /// <summary>"0x7f" or "0x7f (signs), 0x12": the master keys' ids.</summary>
    public string Ids
    {
        get
        {
            lock (_gate) return new KeyRing(_masters.Signing, _masters.Second).Ids;
        }
    }

    /// <summary>Host keys cached now.</summary>
    public int Cached
    {
        get { lock (_gate) return _cache.Count; }
    }

    /// <summary>Host keys derived since start (each derivation is one HKDF per master).</summary>
    public long Derivations => Interlocked.Read(ref _derivations);

    /// <summary>New master keys (a reload): every host key is derived again from them when next needed.</summary>
    public void Replace(ClusterKey master, ClusterKey? second)
    {
        lock (_gate)
        {
            _masters = new Masters(master, second);
            _cache = new Dictionary<byte[], KeyRing>(HostNameComparer.Instance);
        }
    }

    /// <summary>The keys of host <paramref name="name"/>, to sign its requests and check its ACKs (cached).</summary>
    public KeyRing For(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        lock (_gate)
        {
            var lookup = _cache.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (lookup.TryGetValue(bytes, out var ring)) return ring;
        }
        var derived = Derive(bytes, out var masters);
        return Remember(bytes, derived, masters);
    }

    /// <summary>
    /// Checks key id and tag of a STATE datagram naming <paramref name="host"/> against that host's keys: null
    /// when it verifies, else Unsigned, WrongKey or BadTag. A host whose datagram verified is cached. The
    /// caller refuses an unsigned datagram first (its frame's key id): here it would cost a derivation.
    /// </summary>
    public ProtocolErrorCode? Check(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> host)
    {
        KeyRing? ring;
        lock (_gate)
        {
            var lookup = _cache.GetAlternateLookup<ReadOnlySpan<byte>>();
            lookup.TryGetValue(host, out ring);
        }
        if (ring is not null) return ring.Check(datagram);
        var derived = Derive(host, out var masters);
        var result = derived.Check(datagram);
        if (result is null) Remember(host.ToArray(), derived, masters);
        return result;
    }

    private KeyRing Derive(ReadOnlySpan<byte> host, out Masters masters)
    {
        lock (_gate) masters = _masters;
        Interlocked.Increment(ref _derivations);
        return new KeyRing(masters.Signing.DeriveHostKey(host), masters.Second?.DeriveHostKey(host));
    }

    // Caches a ring unless the masters changed while it was derived; when full, one entry makes room (an
    // arbitrary one: a host it drops is derived again on its next datagram).
    private KeyRing Remember(byte[] host, KeyRing ring, Masters derivedFrom)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(derivedFrom, _masters)) return ring;
            if (_cache.TryGetValue(host, out var existing)) return existing;
            if (_cache.Count >= _capacity)
                foreach (var victim in _cache.Keys)
                {
                    _cache.Remove(victim);
                    break;
                }
            _cache.Add(host, ring);
            return ring;
        }
    }
}
