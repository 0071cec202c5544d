// Change notification for `watch` (spec §7.4): the inventory publishes every change it applies; each
// watcher has a queue bounded in bytes (max-watch-queue-kib), and one that falls behind by a whole queue is
// dropped, its queue emptied at once, rather than allowed to stall ingest or grow without bound.
// Publish runs on the ingest thread and on the sweep's timer thread; each watcher has one reader.
// Followers of the event history (spec §7.7) are watchers too, of events only (EventChange), with the same bound.
using System.Text;
using Vmm.Controller.Events;
using System.Threading.Channels;

namespace Vmm.Controller.Inventory;

/// <summary>The watchers of one inventory, and their counters.</summary>
internal sealed class WatchHub
{
    private readonly Lock _gate = new();
    private volatile Watcher[] _watchers = [];
    private long _overflows;

    /// <summary>Watchers dropped because their queue was full.</summary>
    public long Overflows => Volatile.Read(ref _overflows);

    /// <summary>Watchers now subscribed (watch clients and requests waiting to see their effect).</summary>
    public int Count => _watchers.Length;

    /// <summary>Bytes queued for all watchers now (by <see cref="Watcher.CostOf"/>'s estimate).</summary>
    public long QueuedBytes
    {
        get
        {
            long n = 0;
            foreach (var w in _watchers) n += w.QueuedBytes;
            return n;
        }
    }

    /// <summary>
    /// Cheap check for the ingest path: a host's changes are only copied out when some watcher may want them,
    /// so a watch of one host (or a request waiting to see its effect there) costs the other hosts nothing.
    /// </summary>
    public bool Watches(string host)
    {
        foreach (var w in _watchers)
            if (w.Events is null && (w.Host is null || w.Host == host)) return true;
        return false;
    }

    /// <summary>Whether anyone follows the event history now (events are copied out only then).</summary>
    public bool Following
    {
        get
        {
            foreach (var w in _watchers)
                if (w.Events is not null) return true;
            return false;
        }
    }

    /// <summary>Starts following the events that <paramref name="filter"/> matches, with a queue of at most <paramref name="maxBytes"/>.</summary>
    public Watcher Follow(long maxBytes, EventFilter filter)
    {
        var w = new Watcher(this, maxBytes, filter.Host, null) { Events = filter };
        lock (_gate) _watchers = [.. _watchers, w];
        return w;
    }

    /// <summary>Starts a watch of changes on <paramref name="host"/> and/or <paramref name="reference"/>
    /// (a VM's name or uuid; null watches everything), whose queue holds at most <paramref name="maxBytes"/>.</summary>
    public Watcher Subscribe(long maxBytes, string? host = null, string? reference = null)
    {
        var w = new Watcher(this, maxBytes, host, reference);
        lock (_gate) _watchers = [.. _watchers, w];
        return w;
    }

    /// <summary>Hands <paramref name="change"/> to every interested watcher without waiting.</summary>
    public void Publish(InventoryChange change)
    {
        int cost = Watcher.CostOf(change);
        foreach (var w in _watchers)
            if (w.Wants(change) && !w.Offer(change, cost)) w.Overflow();
    }

    internal void Remove(Watcher w)
    {
        lock (_gate) _watchers = Array.FindAll(_watchers, x => x != w);
    }

    internal void CountOverflow() => Interlocked.Increment(ref _overflows);
}

/// <summary>One watch: read with <see cref="WaitToReadAsync"/> and <see cref="TryRead"/> until the queue
/// completes. It completes with <see cref="WatcherOverflowException"/> when the watcher fell a whole queue
/// behind; <see cref="Dropped"/> is cancelled at that moment.</summary>
internal sealed class Watcher : IDisposable
{
    // What a queued change holds beyond its record's bytes: the change and view objects, the record array's
    // header and the queue's slot (measured on .NET 10, x64, rounded up). A host change carries a snapshot of
    // the host's facts as well. An event is its EventChange (the Event inline) and the queue's slot.
    private const int VmChangeOverhead = 160, HostChangeCost = 1024, EventOverhead = 128;

    private readonly WatchHub _hub;
    private readonly Channel<InventoryChange> _queue;
    private readonly byte[]? _name;
    private readonly Guid? _uuid;
    private readonly CancellationTokenSource _dropped = new();
    private long _queuedBytes;
    private int _overflowed;

    internal Watcher(WatchHub hub, long maxBytes, string? host, string? reference)
    {
        _hub = hub;
        // Not single-reader: an overflow empties the queue from the publishing thread.
        _queue = Channel.CreateUnbounded<InventoryChange>(new UnboundedChannelOptions { SingleReader = false });
        Host = host;
        // Compared with each record's name bytes as changes are published (on the ingest thread): no string made per change.
        _name = reference is null ? null : Encoding.UTF8.GetBytes(reference);
        if (Guid.TryParse(reference, out var uuid)) _uuid = uuid;
        MaxBytes = Math.Max(1, maxBytes);
    }

    /// <summary>The most bytes the queue may hold.</summary>
    public long MaxBytes { get; }

    /// <summary>Bytes queued now.</summary>
    public long QueuedBytes => Volatile.Read(ref _queuedBytes);

    /// <summary>The host watched; null for every host.</summary>
    public string? Host { get; }

    /// <summary>For a follower of the event history: the events it wants (it gets nothing else); null for a watch.</summary>
    public EventFilter? Events { get; internal init; }

    /// <summary>Cancelled when the watcher is dropped for a full queue (on the publishing thread: keep callbacks short).</summary>
    public CancellationToken Dropped => _dropped.Token;

    /// <summary>Completes when the queue is done: normally after <see cref="Dispose"/>, faulted after an overflow.</summary>
    public Task Completion => _queue.Reader.Completion;

    /// <summary>What a queued change is reckoned to hold in memory.</summary>
    public static int CostOf(InventoryChange change) =>
        change switch
        {
            VmChange v => VmChangeOverhead + v.View.Record.Length + 2 * (v.Note?.Length ?? 0),
            HostChange h => HostChangeCost + 2 * (h.Note?.Length ?? 0),
            EventChange e => EventOverhead + 2 * (e.Event.Text?.Length ?? 0),
            _ => HostChangeCost,
        };

    /// <summary>Waits for a change; throws <see cref="WatcherOverflowException"/> once dropped for a full queue.</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancel) => _queue.Reader.WaitToReadAsync(cancel);

    public bool TryRead(out InventoryChange change)
    {
        if (!_queue.Reader.TryRead(out change!)) return false;
        Interlocked.Add(ref _queuedBytes, -CostOf(change));
        return true;
    }

    internal bool Wants(InventoryChange change)
    {
        if (Events is not null) return change is EventChange e && Events.Matches(e.Event);
        if (change is EventChange) return false;
        if (Host is not null && change.Host != Host) return false;
        if (_name is null) return true;
        // A host change concerns a VM watcher too: it turns the VMs unknown or known.
        return change is not VmChange vm || vm.View.Uuid == _uuid || vm.View.NameUtf8.SequenceEqual(_name);
    }

    /// <summary>Queues <paramref name="change"/> unless that would pass the bound; false: the watcher must be dropped.</summary>
    internal bool Offer(InventoryChange change, int cost)
    {
        if (Volatile.Read(ref _overflowed) != 0) return true;
        if (Interlocked.Add(ref _queuedBytes, cost) > MaxBytes)
        {
            Interlocked.Add(ref _queuedBytes, -cost);
            return false;
        }
        if (_queue.Writer.TryWrite(change)) return true;
        Interlocked.Add(ref _queuedBytes, -cost); // disposed meanwhile
        return true;
    }

    /// <summary>Drops the watcher: no more changes, the queue emptied now (its memory goes at once, whatever
    /// the reader is doing), the reader told by <see cref="WatcherOverflowException"/> and <see cref="Dropped"/>.</summary>
    internal void Overflow()
    {
        if (Interlocked.Exchange(ref _overflowed, 1) != 0) return;
        _hub.Remove(this);
        _hub.CountOverflow();
        _queue.Writer.TryComplete(new WatcherOverflowException(MaxBytes));
        while (TryRead(out _)) { }
        _dropped.Cancel();
        // A whole queue (max-watch-queue-kib) was just let go: given back to the system, not kept by the GC.
        Vmm.Hosting.MemoryTrim.Request();
    }

    public void Dispose()
    {
        _hub.Remove(this);
        _queue.Writer.TryComplete();
        while (TryRead(out _)) { }
    }
}

/// <summary>A watcher fell behind by a whole queue and was dropped.</summary>
internal sealed class WatcherOverflowException(long maxBytes)
    : Exception($"the watch fell {maxBytes / 1024} KiB of changes behind (max-watch-queue-kib) and was dropped; start it again");
