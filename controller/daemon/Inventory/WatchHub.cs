// Change notification for `watch` (spec §7.4): the inventory publishes every change it applies; each
// watcher has a bounded queue, and one that falls behind by a whole queue is dropped rather than allowed
// to stall ingest or grow without bound.
using System.Text;
using System.Threading.Channels;

namespace Vmm.Controller;

/// <summary>The watchers of one inventory.</summary>
internal sealed class WatchHub
{
    private readonly Lock _gate = new();
    private volatile Watcher[] _watchers = [];

    /// <summary>
    /// Cheap check for the ingest path: a host's changes are only copied out when some watcher may want them,
    /// so a watch of one host (or a request waiting to see its effect there) costs the other hosts nothing.
    /// </summary>
    public bool Watches(string host)
    {
        foreach (var w in _watchers)
            if (w.Host is null || w.Host == host) return true;
        return false;
    }

    /// <summary>Starts a watch of changes on <paramref name="host"/> and/or <paramref name="reference"/>
    /// (a VM's name or uuid); null watches everything.</summary>
    public Watcher Subscribe(int capacity, string? host = null, string? reference = null)
    {
        var w = new Watcher(this, capacity, host, reference);
        lock (_gate) _watchers = [.. _watchers, w];
        return w;
    }

    /// <summary>Hands <paramref name="change"/> to every interested watcher without waiting.</summary>
    public void Publish(InventoryChange change)
    {
        foreach (var w in _watchers)
            if (w.Wants(change) && !w.Offer(change)) w.Overflow();
    }

    internal void Remove(Watcher w)
    {
        lock (_gate) _watchers = Array.FindAll(_watchers, x => x != w);
    }
}

/// <summary>One watch: read <see cref="Changes"/> until it completes. It completes with
/// <see cref="WatcherOverflowException"/> when the watcher fell a whole queue behind.</summary>
internal sealed class Watcher : IDisposable
{
    private readonly WatchHub _hub;
    private readonly Channel<InventoryChange> _queue;
    private readonly byte[]? _name;
    private readonly Guid? _uuid;

    internal Watcher(WatchHub hub, int capacity, string? host, string? reference)
    {
        _hub = hub;
        _queue = Channel.CreateBounded<InventoryChange>(new BoundedChannelOptions(Math.Max(1, capacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: the publisher drops the watcher
        });
        Host = host;
        // Compared with each record's name bytes as changes are published (on the ingest thread): no string made per change.
        _name = reference is null ? null : Encoding.UTF8.GetBytes(reference);
        if (Guid.TryParse(reference, out var uuid)) _uuid = uuid;
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>The host watched; null for every host.</summary>
    public string? Host { get; }

    public ChannelReader<InventoryChange> Changes => _queue.Reader;

    internal bool Wants(InventoryChange change)
    {
        if (Host is not null && change.Host != Host) return false;
        if (_name is null) return true;
        // A host change concerns a VM watcher too: it turns the VMs unknown or known.
        return change is not VmChange vm || vm.View.Uuid == _uuid || vm.View.NameUtf8.SequenceEqual(_name);
    }

    internal bool Offer(InventoryChange change) => _queue.Writer.TryWrite(change);

    internal void Overflow()
    {
        _hub.Remove(this);
        _queue.Writer.TryComplete(new WatcherOverflowException(Capacity));
    }

    public void Dispose()
    {
        _hub.Remove(this);
        _queue.Writer.TryComplete();
    }
}

/// <summary>A watcher fell behind by a whole queue and was dropped.</summary>
internal sealed class WatcherOverflowException(int capacity)
    : Exception($"the watch fell {capacity} changes behind and was dropped; start it again");
