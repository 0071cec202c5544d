// hostd's VM table and the one loop that keeps it (spec §6.5's records): what the hypervisor said of each VM at its
// last read, stamped with the last request that finished on it (last-request).
// One owner: the refresh loop (RunAsync) alone calls the hypervisor's read methods and writes the table; it awaits
// each read on a BlockingWorkers thread with a deadline, so no thread of its own blocks on libvirt. Other threads
// reach it in two ways only:
//   - they post work to its inbox (a VM to re-read, a request that finished, "read everything"): libvirt's event
//     thread, the request workers. The inbox is bounded; a mark that does not fit turns into "read everything".
//   - they read the View it published last, an immutable copy, without a lock: the heartbeat loop, the daemon.
// A reconnect to libvirt makes the published view stale at once (Reconnected, on libvirt's thread): no report is
// sent from a table read over the connection that was lost.
// Receipts (spec §7.2, state; VmRefresher.Receipts.cs): a request expects one before it runs; once it finished, the loop's next read of its VM
// pays it with the event datagram that carried the VM's record, which the request's ACK carries too. A receipt the
// read does not pay (nothing sent for the VM, a read that failed) is settled with nothing: the ACK goes without.
using System.Threading.Channels;
using NLog;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Internal;

internal sealed partial class VmRefresher : IStateReceipts
{
    /// <summary>How long a burst of events is gathered before its datagram goes out.</summary>
    public static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(2);

    /// <summary>Marks the inbox holds; beyond them one "read everything" stands for the lot.</summary>
    public const int InboxCapacity = 4096;

    /// <summary>The longest the last read before stopping may take.</summary>
    private static readonly TimeSpan FinalReadTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The table as the loop last published it. <paramref name="Epoch"/>: the reconnect under which its last
    /// complete read was made (-1: none yet).</summary>
    public sealed record View(VmState[] Vms, AttrList Facts, long Epoch);

    private readonly IHypervisor _hypervisor;
    private readonly TimeSpan _interval, _callTimeout;
    private readonly BlockingWorkers _workers;
    private readonly Logger _log;
    private readonly Action<List<VmState>, EventSent?> _changed;
    private readonly Action _firstPicture;

    private readonly Channel<Work> _inbox = Channel.CreateBounded<Work>(
        new BoundedChannelOptions(InboxCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private int _overflowed;     // 1: a mark did not fit the inbox since the loop last looked
    private long _reconnects;    // libvirt's thread increments; the loop and readers compare
    private View _view = new([], [], -1);
    private long _overflows;

    // The loop's own: the table, work taken from the inbox and not done yet, the read that may still be running.
    private readonly Dictionary<Guid, VmState> _vms = [];
    private readonly Dictionary<Guid, ulong> _lastRequest = [];
    private AttrList _facts = [];
    private long _loadedEpoch = -1;
    private readonly HashSet<Guid> _pending = [];
    private bool _pendingEverything;
    private Task? _pendingCall;
    // changed: VMs that differ from what the table held, to send as event datagrams (telling EventSent about each when
    // it is given). firstPicture: the first complete read since start or since a reconnect is in the table (a report
    // goes out at once). Both on the loop.
    public VmRefresher(IHypervisor hypervisor, TimeSpan interval, TimeSpan callTimeout, BlockingWorkers workers, Logger log,
        Action<List<VmState>, EventSent?> changed, Action firstPicture)
    {
        _hypervisor = hypervisor;
        _interval = interval;
        _callTimeout = callTimeout;
        _workers = workers;
        _log = log;
        _changed = changed;
        _firstPicture = firstPicture;
    }

    /// <summary>The table as last published; <see cref="IsCurrent"/> says whether a report may be made of it.</summary>
    public View Current => Volatile.Read(ref _view);

    /// <summary>Whether <paramref name="view"/> was read completely over the connection libvirt has now.</summary>
    public bool IsCurrent(View view) => view.Epoch == Interlocked.Read(ref _reconnects);

    /// <summary>Marks that did not fit the inbox (each became a read of everything).</summary>
    public long Overflows => Interlocked.Read(ref _overflows);

    /// <summary>Re-read <paramref name="vm"/> soon, stamped with <paramref name="requestId"/> when a request on it
    /// finished (0: a libvirt event). Any thread; never blocks.</summary>
    public void Post(Guid vm, ulong requestId = 0) => Post(new Work(vm, requestId));

    /// <summary>Re-read every VM soon. After a reconnect the published view is stale until that read is done.</summary>
    public void ReadEverything(bool reconnected)
    {
        if (reconnected) Interlocked.Increment(ref _reconnects);
        Post(new Work(Guid.Empty, 0));
    }

    private void Post(Work work)
    {
        if (_inbox.Writer.TryWrite(work)) return;
        Interlocked.Increment(ref _overflows);
        Volatile.Write(ref _overflowed, 1);
        _inbox.Writer.TryWrite(new Work(Guid.Empty, 0));   // wakes the loop if it can; the flag is enough when not
    }

    /// <summary>Keeps the table until <paramref name="stop"/>; then reads once more the VMs changed by the last
    /// requests, so that the stopping datagram follows their outcome.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        long lastFull = 0;
        Post(new Work(Guid.Empty, 0));   // read everything at once
        try
        {
            while (true)
            {
                if (await WaitForWorkAsync(stop).ConfigureAwait(false))
                    await Task.Delay(Coalesce, stop).ConfigureAwait(false);   // gather the rest of a burst into one datagram
                Take();
                if (System.Diagnostics.Stopwatch.GetElapsedTime(lastFull) >= _interval) _pendingEverything = true;
                if (!_hypervisor.Reachable)
                {
                    // A reconnect reads everything anyway.
                    _pending.Clear();
                    SettleOwed();
                    continue;
                }
                try
                {
                    if (_pendingEverything)
                    {
                        lastFull = System.Diagnostics.Stopwatch.GetTimestamp();
                        _pendingEverything = false;
                        _pending.Clear();
                        await RefreshEverythingAsync(stop).ConfigureAwait(false);
                    }
                    else if (_pending.Count > 0)
                    {
                        Guid[] some = [.. _pending];
                        _pending.Clear();
                        try
                        {
                            await RefreshSomeAsync(some, _callTimeout, stop).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            _pending.UnionWith(some);   // the last read before the stopping datagram does them
                            throw;
                        }
                    }
                }
                catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
                {
                    if (e is HypervisorException or TimeoutException) _log.Warn("reading the VMs failed: {0}", e.Message);
                    else _log.Error(e, "reading the VMs failed");
                    // Try again on the next round: nothing of what failed was read.
                    _pendingEverything = true;
                }
                SettleOwed();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping, perhaps in the middle of a read: what it was for is read once more below.
        }
        await FinalReadAsync().ConfigureAwait(false);
        SettleOwed();
    }

    // True when work arrived, false when the interval passed without any.
    private async Task<bool> WaitForWorkAsync(CancellationToken stop)
    {
        if (_inbox.Reader.TryPeek(out _)) return true;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
        wait.CancelAfter(_interval);
        try
        {
            return await _inbox.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return false;
        }
    }

    // Moves what the inbox holds into the loop's own work.
    private void Take()
    {
        if (Interlocked.Exchange(ref _overflowed, 0) == 1) _pendingEverything = true;
        while (_inbox.Reader.TryRead(out var work))
        {
            if (work.Vm == Guid.Empty)
            {
                _pendingEverything = true;
                continue;
            }
            if (work.RequestId != 0)
            {
                _lastRequest[work.Vm] = work.RequestId;
                Owe(work.Vm, work.RequestId);
            }
            _pending.Add(work.Vm);
        }
    }

    private async Task RefreshEverythingAsync(CancellationToken stop)
    {
        long epoch = Interlocked.Read(ref _reconnects);
        var all = await CallAsync(_hypervisor.ReadAll, _callTimeout, stop).ConfigureAwait(false);
        var facts = await CallAsync(_hypervisor.ReadFacts, _callTimeout, stop).ConfigureAwait(false);
        bool first = _loadedEpoch != epoch;
        var changed = new List<VmState>();
        _facts = StatePublisher.WithMemoryFree(facts, all);
        var seen = new HashSet<Guid>();
        foreach (var vm in all)
        {
            seen.Add(vm.Uuid);
            if (Store(vm) is { } s && !first) changed.Add(s);
        }
        foreach (var (uuid, vm) in _vms.ToArray())
        {
            if (seen.Contains(uuid)) continue;
            Forget(uuid);
            if (!first) changed.Add(VmState.TombstoneFor(uuid, vm.Name));
        }
        _loadedEpoch = epoch;
        Publish();
        if (changed.Count > 0) Send(changed);
        // The first complete picture (at start, after a reconnect) goes out now, not at the next heartbeat.
        if (first) _firstPicture();
    }

    // Re-reads these VMs and sends what changed. A read that fails part way still sends the VMs read before it:
    // the table holds them already, so a later read would find nothing new to send.
    private async Task RefreshSomeAsync(Guid[] uuids, TimeSpan timeout, CancellationToken stop)
    {
        var changed = new List<VmState>();
        try
        {
            foreach (var uuid in uuids)
            {
                var vm = await CallAsync(() => _hypervisor.Read(uuid), timeout, stop).ConfigureAwait(false);
                if (vm is not null) { if (Store(vm) is { } s) changed.Add(s); }
                else if (_vms.TryGetValue(uuid, out var gone))
                {
                    Forget(uuid);
                    changed.Add(VmState.TombstoneFor(uuid, gone.Name));
                }
                else _lastRequest.Remove(uuid);   // a request on a VM that is not there (a failed add)
            }
        }
        finally
        {
            if (changed.Count > 0)
            {
                Publish();
                Send(changed);
            }
        }
    }

    // On the way out, bounded: a hypervisor that does not answer within a few seconds leaves these VMs to the next
    // boot's first report.
    private async Task FinalReadAsync()
    {
        Take();
        if (_pending.Count == 0 || !_hypervisor.Reachable) return;
        var deadline = _callTimeout < FinalReadTimeout ? _callTimeout : FinalReadTimeout;
        try
        {
            // A read the stop interrupted may still be running; it is given the same time to return.
            if (_pendingCall is { } running)
            {
                try { await running.WaitAsync(deadline).ConfigureAwait(false); }
                catch (Exception e) when (e is not OutOfMemoryException) { }
            }
            await RefreshSomeAsync([.. _pending], deadline, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HypervisorException or TimeoutException)
        {
            _log.Warn("last read of changed VMs before stopping failed: {0}", e.Message);
        }
    }

    // Stores a VM as read (plus last-request); returns it when it differs from what was held.
    private VmState? Store(VmState vm)
    {
        if (_lastRequest.TryGetValue(vm.Uuid, out ulong id))
            vm = vm with { Attributes = [.. vm.Attributes, new Attr { Type = AttrType.LastRequest, Number = id }] };
        if (_vms.TryGetValue(vm.Uuid, out var held) && held == vm) return null;
        _vms[vm.Uuid] = vm;
        return vm;
    }

    private void Forget(Guid uuid)
    {
        _vms.Remove(uuid);
        _lastRequest.Remove(uuid);
    }

    private void Publish() => Volatile.Write(ref _view, new View([.. _vms.Values], _facts, _loadedEpoch));

    // A hypervisor read with a deadline; never two stuck reads at once.
    private async Task<T> CallAsync<T>(Func<T> read, TimeSpan timeout, CancellationToken stop)
    {
        if (_pendingCall is { IsCompleted: false })
            throw new TimeoutException("an earlier hypervisor read has not returned yet");
        var task = _workers.Run(read, Timeout.InfiniteTimeSpan);
        _pendingCall = task;
        try
        {
            return await task.WaitAsync(timeout, stop).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException($"the hypervisor did not answer within {timeout.TotalSeconds:0.#} s");
        }
    }

    // A VM to re-read (with the request that finished on it, or 0), or Guid.Empty: everything.
    private readonly record struct Work(Guid Vm, ulong RequestId);

}
