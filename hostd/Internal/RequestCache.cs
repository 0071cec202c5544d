// Exactly-once (spec §7.6): the ids of finished requests with a digest of their body and their ACK,
// the ids being worked on, and per origin the highest counter evicted, so that nothing is acted on twice
// even after its entry has left the window.
using System.Buffers;
using System.IO.Hashing;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Internal;

/// <summary>What the cache says about an incoming request.</summary>
internal enum CacheVerdict
{
    /// <summary>New: the caller now owns the id and must call <see cref="RequestCache.Complete"/> or <see cref="RequestCache.Abandon"/>.</summary>
    New,
    /// <summary>Finished before: answer with the cached ACK, flagged replayed.</summary>
    Replayed,
    /// <summary>The same id is being worked on: answer busy.</summary>
    InFlight,
    /// <summary>The id was used for a request with a different body: refuse.</summary>
    Reused,
    /// <summary>The id is at or below its origin's evicted low-water mark: a replay beyond the window.</summary>
    Replay,
}

/// <summary>
/// The request-id cache of one hostd boot. Holds the newest <see cref="Capacity"/> finished requests;
/// thread-safe (one short lock: every operation is a dictionary step).
/// </summary>
internal sealed class RequestCache(int capacity = RequestCache.DefaultCapacity, int maxOrigins = RequestCache.DefaultMaxOrigins)
{
    /// <summary>The window the spec names for the reference implementation.</summary>
    public const int DefaultCapacity = 4096;

    /// <summary>Origins remembered for the low-water mark: one per controller run (and per vmmctl user).</summary>
    public const int DefaultMaxOrigins = 1024;

    // A finished request's ACK is kept encoded (about 120 bytes, against 256 for the object and its attribute list):
    // the window is full after 4096 requests and stays so, and a replay, which decodes it, is rare.
    private readonly record struct Entry(ulong Digest, byte[]? Ack);

    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, Entry> _entries = [];
    private readonly Queue<ulong> _finished = new();
    private readonly Dictionary<uint, uint> _evictedHigh = [];
    private readonly Queue<uint> _origins = new();

    public int Capacity { get; } = capacity;

    /// <summary>Finished requests held now.</summary>
    public int Count { get { lock (_gate) return _finished.Count; } }

    /// <summary>
    /// What tells a retry (the same id and content: answered from the cache) from an id reused for other content
    /// (refused): a hash of the request as encoded, unsigned. Its id is part of it, which changes nothing, as only
    /// entries of the same id are compared; key id and tag are not, so a retry signed under the other master key
    /// of a rotation is a retry all the same.
    /// </summary>
    public static ulong Digest(RequestPdu request)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(PduHeader.MaxStreamPdu);
        try
        {
            int length = PduCodec.Encode(request with { KeyId = 0, Tag = default }, buffer);
            return XxHash3.HashToUInt64(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Looks the request up and, when it is new, marks it in flight in the same step.</summary>
    public CacheVerdict Begin(ulong requestId, ulong digest, out AckPdu? cached)
    {
        cached = null;
        lock (_gate)
        {
            if (_entries.TryGetValue(requestId, out var e))
            {
                if (e.Digest != digest) return CacheVerdict.Reused;
                if (e.Ack is null) return CacheVerdict.InFlight;
                cached = (AckPdu)PduCodec.Decode(e.Ack);
                return CacheVerdict.Replayed;
            }
            if (_evictedHigh.TryGetValue(Origin(requestId), out uint high) && Counter(requestId) <= high)
                return CacheVerdict.Replay;
            _entries[requestId] = new Entry(digest, null);
            return CacheVerdict.New;
        }
    }

    /// <summary>Remembers the ACK of a request begun with <see cref="Begin"/>, evicting the oldest beyond the window.</summary>
    public void Complete(ulong requestId, AckPdu ack)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(requestId, out var e)) return;
            _entries[requestId] = e with { Ack = PduCodec.ToBytes(ack with { KeyId = 0, Tag = default }) };
            _finished.Enqueue(requestId);
            while (_finished.Count > Capacity) Evict(_finished.Dequeue());
        }
    }

    /// <summary>Forgets a begun request that was not acted on (refused before reaching the hypervisor), so a retry may act.</summary>
    public void Abandon(ulong requestId)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(requestId, out var e) && e.Ack is null) _entries.Remove(requestId);
        }
    }

    private void Evict(ulong requestId)
    {
        _entries.Remove(requestId);
        uint origin = Origin(requestId), counter = Counter(requestId);
        if (_evictedHigh.TryGetValue(origin, out uint high))
        {
            if (counter > high) _evictedHigh[origin] = counter;
            return;
        }
        // A new origin; the oldest is forgotten past the bound (its replays are then caught only by the window).
        if (_origins.Count >= maxOrigins) _evictedHigh.Remove(_origins.Dequeue());
        _origins.Enqueue(origin);
        _evictedHigh[origin] = counter;
    }

    private static uint Origin(ulong requestId) => (uint)(requestId >> 32);

    private static uint Counter(ulong requestId) => (uint)requestId;
}
