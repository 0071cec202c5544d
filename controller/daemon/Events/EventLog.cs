// The controller's event history (spec §7.7): a ring of the last max-events events, in memory only (a restart loses
// it all). Slots hold events by value, and the ring grows by doubling up to its bound, so that recording an event
// allocates nothing once the ring is full (nor while it has room): ingest records VM changes at no cost in garbage.
// Followers (vmmctl events --follow) get each event through the watch machinery: a Watcher with its bounded queue.
// Recorded from the ingest thread, the sweep, the admin sessions and HA: one lock, held for a slot's copy.
using Vmm.Controller.Inventory;

namespace Vmm.Controller.Events;

/// <summary>The last <see cref="Capacity"/> events, oldest evicted first.</summary>
internal sealed class EventLog
{
    /// <summary>The uid of the controller's own events (decisions, HA requests): no admin caller.</summary>
    public const uint Controller = uint.MaxValue - 1;

    /// <summary>The default of max-events.</summary>
    public const int DefaultCapacity = 10_000;

    // Slots the ring starts with; it doubles up to Capacity as events come.
    private const int InitialSlots = 256;

    private readonly Lock _gate = new();
    private readonly Func<long> _wallMs;
    private readonly WatchHub? _followers;
    private Event[] _slots;
    private int _head;   // the next slot written
    private int _count;
    private long _lastId;
    private long _evicted;

    /// <param name="capacity">The most events held (max-events); 0 keeps none (followers still get them).</param>
    /// <param name="followers">Where followers subscribe; events are published there while any follows.</param>
    /// <param name="wallMs">Unix time in ms; the system clock by default.</param>
    public EventLog(int capacity, WatchHub? followers = null, Func<long>? wallMs = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
        _followers = followers;
        _wallMs = wallMs ?? (static () => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        _slots = new Event[Math.Min(capacity, InitialSlots)];
    }

    /// <summary>The most events held (max-events).</summary>
    public int Capacity { get; }

    /// <summary>Events held now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Events recorded since the controller started.</summary>
    public long Recorded => Interlocked.Read(ref _lastId);

    /// <summary>Events dropped to make room for newer ones.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>The id of the oldest event held; 0 when none is.</summary>
    public long OldestId
    {
        get
        {
            lock (_gate) return _count == 0 ? 0 : _lastId - _count + 1;
        }
    }

    /// <summary>Records <paramref name="e"/> with the next id and the time now, and hands it to followers.</summary>
    public void Record(Event e)
    {
        lock (_gate)
        {
            e = e with { Id = ++_lastId, TimeMs = _wallMs() };
            if (Capacity > 0)
            {
                if (_count == _slots.Length && _slots.Length < Capacity) Grow();
                if (_count == Capacity) _evicted++;
                else _count++;
                _slots[_head] = e;
                _head = (_head + 1) % _slots.Length;
            }
            // Under the lock, so that followers see events in id order.
            if (_followers is { Following: true } hub) hub.Publish(new EventChange(e));
        }
    }

    /// <summary>The events held that <paramref name="filter"/> matches, oldest first.</summary>
    public List<Event> Find(EventFilter filter)
    {
        var found = new List<Event>();
        lock (_gate)
        {
            int start = (_head - _count + _slots.Length) % Math.Max(1, _slots.Length);
            for (int i = 0; i < _count; i++)
            {
                ref readonly var e = ref _slots[(start + i) % _slots.Length];
                if (filter.Matches(e)) found.Add(e);
            }
        }
        return found;
    }

    /// <summary>
    /// Starts following: a watcher of events only, queue bounded by <paramref name="maxBytes"/> as a watch's is, and the
    /// events held now that <paramref name="filter"/> matches. Both are taken under the lock, so that no event is missed
    /// between the two nor sent twice: the watcher gets only events recorded after the ones returned.
    /// </summary>
    public (Watcher Follower, List<Event> Held) Follow(EventFilter filter, long maxBytes)
    {
        if (_followers is null) throw new InvalidOperationException("this event log has no followers' hub");
        lock (_gate)
            return (_followers.Follow(maxBytes, filter), Find(filter));
    }

    // Called with _count == _slots.Length: the slots are in order from _head (the oldest) around.
    private void Grow()
    {
        var grown = new Event[(int)Math.Min(Capacity, 2L * _slots.Length)];
        for (int i = 0; i < _count; i++) grown[i] = _slots[(_head + i) % _slots.Length];
        _slots = grown;
        _head = _count;
    }
}
