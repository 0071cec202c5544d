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
/// <remarks>
/// All of its memory is taken when it is made, so that a hostd's footprint does not creep up for the hour its window
/// takes to fill at one request a second (issue 12): the finished requests are slots of fixed arrays, oldest first,
/// and their ACKs, encoded, one ring of bytes (<see cref="AckBytesPerEntry"/> per slot on average: a success is
/// about 70 bytes, a failure with its message a few hundred). An ACK that does not fit evicts the oldest entries
/// until it does, so a run of long answers makes the window shorter, never the memory larger; the low-water mark
/// of what was evicted still refuses their replays.
/// </remarks>
internal sealed class RequestCache
{
    /// <summary>The window the spec names for the reference implementation.</summary>
    public const int DefaultCapacity = 4096;

    /// <summary>Origins remembered for the low-water mark: one per controller run (and per vmmctl user).</summary>
    public const int DefaultMaxOrigins = 1024;

    /// <summary>ACK bytes held per entry of the window, on average.</summary>
    public const int AckBytesPerEntry = 128;

    private readonly Lock _gate = new();
    private readonly int _maxOrigins;
    // Requests begun and not finished: their digest (bounded by the requests in flight, which the server bounds).
    private readonly Dictionary<ulong, ulong> _inFlight = [];
    // Finished requests: id -> slot; the slots are a ring, _first the oldest, _count of them in use.
    private readonly Dictionary<ulong, int> _slotOf;
    private readonly ulong[] _ids, _digests;
    private readonly int[] _offsets, _lengths;
    private int _first, _count;
    // The ACKs, encoded without key id and tag, in the order of the slots; _write is where the next one goes.
    private readonly byte[] _acks;
    private int _write;
    private readonly Dictionary<uint, uint> _evictedHigh = [];
    private readonly Queue<uint> _origins = new();

    public RequestCache(int capacity = DefaultCapacity, int maxOrigins = DefaultMaxOrigins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _maxOrigins = maxOrigins;
        _slotOf = new Dictionary<ulong, int>(capacity);
        _ids = new ulong[capacity];
        _digests = new ulong[capacity];
        _offsets = new int[capacity];
        _lengths = new int[capacity];
        // Room for the largest ACK whatever the capacity.
        _acks = new byte[Math.Max(capacity * AckBytesPerEntry, PduHeader.MaxStreamPdu)];
    }

    public int Capacity { get; }

    /// <summary>Finished requests held now.</summary>
    public int Count { get { lock (_gate) return _count; } }

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
            if (_slotOf.TryGetValue(requestId, out int slot))
            {
                if (_digests[slot] != digest) return CacheVerdict.Reused;
                cached = (AckPdu)PduCodec.Decode(_acks.AsSpan(_offsets[slot], _lengths[slot]));
                return CacheVerdict.Replayed;
            }
            if (_inFlight.TryGetValue(requestId, out ulong working))
                return working == digest ? CacheVerdict.InFlight : CacheVerdict.Reused;
            if (_evictedHigh.TryGetValue(Origin(requestId), out uint high) && Counter(requestId) <= high)
                return CacheVerdict.Replay;
            _inFlight[requestId] = digest;
            return CacheVerdict.New;
        }
    }

    /// <summary>Remembers the ACK of a request begun with <see cref="Begin"/>, evicting the oldest beyond the window.</summary>
    public void Complete(ulong requestId, AckPdu ack)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(PduHeader.MaxStreamPdu);
        try
        {
            int length = PduCodec.Encode(ack with { KeyId = 0, Tag = default }, buffer);
            lock (_gate)
            {
                if (!_inFlight.Remove(requestId, out ulong digest)) return;
                if (_count == Capacity) EvictOldest();
                int offset = Room(length);
                buffer.AsSpan(0, length).CopyTo(_acks.AsSpan(offset));
                _write = offset + length;
                int slot = (_first + _count) % Capacity;
                _ids[slot] = requestId;
                _digests[slot] = digest;
                _offsets[slot] = offset;
                _lengths[slot] = length;
                _count++;
                _slotOf[requestId] = slot;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Forgets a begun request that was not acted on (refused before reaching the hypervisor), so a retry may act.</summary>
    public void Abandon(ulong requestId)
    {
        lock (_gate) _inFlight.Remove(requestId);
    }

    // Where in the ring an ACK of this length goes, evicting the oldest entries until it fits. The bytes in use run
    // from the oldest entry's offset to _write, wrapping at most once: an ACK never straddles the end (what is left
    // there stays unused until the ring comes round).
    private int Room(int length)
    {
        while (true)
        {
            if (_count == 0) return 0;
            int oldest = _offsets[_first];
            if (_write > oldest)
            {
                if (_acks.Length - _write >= length) return _write;
                if (oldest >= length) return 0;
            }
            else if (oldest - _write >= length)
            {
                return _write;
            }
            EvictOldest();
        }
    }

    private void EvictOldest()
    {
        ulong requestId = _ids[_first];
        _slotOf.Remove(requestId);
        _first = (_first + 1) % Capacity;
        _count--;
        uint origin = Origin(requestId), counter = Counter(requestId);
        if (_evictedHigh.TryGetValue(origin, out uint high))
        {
            if (counter > high) _evictedHigh[origin] = counter;
            return;
        }
        // A new origin; the oldest is forgotten past the bound (its replays are then caught only by the window).
        if (_origins.Count >= _maxOrigins) _evictedHigh.Remove(_origins.Dequeue());
        _origins.Enqueue(origin);
        _evictedHigh[origin] = counter;
    }

    private static uint Origin(ulong requestId) => (uint)(requestId >> 32);

    private static uint Counter(ulong requestId) => (uint)requestId;
}
