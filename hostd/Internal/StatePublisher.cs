// hostd's half of STATE (spec §6.5): event datagrams within milliseconds of a libvirt event (bursts
// coalesced), and a complete report of every VM each heartbeat interval, paged at 1200 bytes; a report of fewer
// pages than min-datagrams-per-interval is eked out with liveness datagrams spread over the interval (HeartbeatSlots).
// Two threads, two owners: the refresher alone calls the hypervisor and updates the table; the heartbeat
// only reads the table, so a hypervisor that hangs never delays a heartbeat. The heartbeat loop is also
// what systemd's watchdog trusts (Heartbeat): it goes round whatever libvirt does, unless hostd is wedged.
// What goes on the wire (sequence numbers, pages, the socket) is StateSender's.
using System.Diagnostics;
using System.Net;
using NLog;
using Vmm.Hosting.Systemd;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Internal;

/// <summary>Keeps the host's VM table and sends it to every controller.</summary>
internal sealed class StatePublisher : IDisposable
{
    /// <summary>How long a burst of events is gathered before its datagram goes out.</summary>
    public static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(2);

    private readonly IHypervisor _hypervisor;
    private readonly string _host;
    private readonly KeyRing _keys;
    private readonly TimeSpan _interval, _callTimeout;
    private readonly int _perInterval;
    private readonly TimeProvider _time;
    private readonly BlockingWorkers _workers;
    private readonly Logger _log;
    private readonly StateSender _sender;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string? _reasonBeforeTrying;

    // The table: the refresher writes, the heartbeat and the tests read (under _gate).
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, VmState> _vms = [];
    private readonly Dictionary<Guid, ulong> _lastRequest = [];
    private AttrList _facts = [];
    private bool _loaded;

    // Work for the refresher.
    private readonly Lock _dirtyGate = new();
    private readonly HashSet<Guid> _dirty = [];
    private bool _fullRefresh = true;
    private readonly SemaphoreSlim _wake = new(0);
    private Task? _pendingCall;

    private long _slots;

    // perInterval: the least datagrams sent each interval (min-datagrams-per-interval, spec §6.5), the report's pages
    // and liveness datagrams for the rest. time: the heartbeat loop's clock; the system's unless a test gives its own.
    public StatePublisher(IHypervisor hypervisor, ulong bootId, string host, IReadOnlyList<IPEndPoint> controllers,
        KeyRing keys, TimeSpan interval, int perInterval, TimeSpan callTimeout, BlockingWorkers workers, Logger log, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perInterval, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(perInterval, HeartbeatSlots.Max);
        _perInterval = perInterval;
        _time = time ?? TimeProvider.System;
        BootId = bootId;
        _hypervisor = hypervisor;
        _host = host;
        _keys = keys;
        _interval = interval;
        _callTimeout = callTimeout;
        _workers = workers;
        _log = log;
        _sender = new StateSender(bootId, host, controllers, keys, log);
        _reasonBeforeTrying = hypervisor.UnreachableReason;
        // The heartbeat loop ticks once an interval; twice that and a little, and it is stuck.
        Heartbeat = new Liveness("heartbeat loop", interval * 2 + TimeSpan.FromSeconds(5));
        hypervisor.VmChanged += MarkDirty;
        hypervisor.ReachabilityChanged += OnReachability;
    }

    public ulong BootId { get; }

    /// <summary>The TCP port this hostd takes requests on, reported in the facts.</summary>
    public ushort Port { get; set; }

    /// <summary>Ticks each time the heartbeat loop goes round: the watchdog's sign that hostd is alive.</summary>
    public Liveness Heartbeat { get; }

    /// <summary>
    /// Completes once the controllers have heard from this boot what it knows: the first complete report, or
    /// "unreachable" after libvirt was tried and failed. hostd tells systemd it is ready then.
    /// </summary>
    public Task Started => _started.Task;

    /// <summary>The controllers state goes to.</summary>
    public IReadOnlyList<IPEndPoint> Controllers => _sender.Controllers;

    /// <summary>
    /// Sends state to <paramref name="controllers"/> from the next datagram on (a reload). A report being
    /// paged out when this is called finishes on the old list: every datagram stands alone.
    /// </summary>
    public void SetControllers(IReadOnlyList<IPEndPoint> controllers) => _sender.SetControllers(controllers);

    /// <summary>Slots of heartbeat intervals the loop has finished (each sent what it had to): for tests.</summary>
    internal long SlotsDone => Interlocked.Read(ref _slots);

    /// <summary>How many VMs the last refresh saw.</summary>
    public int VmCount { get { lock (_gate) return _vms.Count; } }

    /// <summary>A request finished for <paramref name="vm"/>: remember its id for last-request and re-read the VM
    /// (memory, vCPUs, disks, NICs and snapshots change without a libvirt event).</summary>
    public void RequestDone(Guid vm, ulong requestId)
    {
        lock (_gate) _lastRequest[vm] = requestId;
        MarkDirty(vm);
    }

    /// <summary>A VM changed (libvirt event): re-read it soon. Called on libvirt's event thread: never blocks.</summary>
    public void MarkDirty(Guid vm)
    {
        lock (_dirtyGate) _dirty.Add(vm);
        _wake.Release();
    }

    // Lost or back: re-read every VM soon; after a reconnect, report anew as soon as the table is read again.
    private void OnReachability(bool reachable)
    {
        if (reachable) lock (_gate) _loaded = false;
        lock (_dirtyGate) _fullRefresh = true;
        _wake.Release();
    }

    /// <summary>Runs the refresher and the heartbeat until <paramref name="stop"/>, then sends the stopping datagram.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var refresherDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var refresher = new Thread(() =>
        {
            try { RefreshLoop(stop); }
            catch (OperationCanceledException) { }
            finally { refresherDone.SetResult(); }
        }) { IsBackground = true, Name = "vmm-state-refresh" };
        _wake.Release();   // read everything at once
        refresher.Start();
        using var timer = new PeriodicTimer(HeartbeatSlots.Length(_interval, _perInterval), _time);
        int slot = 0, reportDatagrams = 0;
        try
        {
            do
            {
                if (slot == 0) reportDatagrams = SendReport();
                else if (HeartbeatSlots.SendsLiveness(slot, _perInterval, reportDatagrams)) SendLiveness();
                slot = (slot + 1) % _perInterval;
                Heartbeat.Tick();
                Interlocked.Increment(ref _slots);
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException) { }
        _wake.Release();
        await refresherDone.Task.ConfigureAwait(false);
        FlushDirty();
        _sender.SendEvent([], HostStatus.Stopping);
    }

    /// <summary>
    /// On the way out: VMs changed by the last requests (a stop drains them first) are read once more, so the
    /// controllers see their outcome before the stopping datagram. Bounded: a hypervisor that does not answer
    /// within a few seconds leaves them to the next boot's first report.
    /// </summary>
    private void FlushDirty()
    {
        Guid[] dirty;
        lock (_dirtyGate) { dirty = [.. _dirty]; _dirty.Clear(); }
        if (dirty.Length == 0 || !_hypervisor.Reachable) return;
        var deadline = _callTimeout < FinalReadTimeout ? _callTimeout : FinalReadTimeout;
        try
        {
            // A read the stop interrupted may still be running; it is given the same time to return.
            try { _pendingCall?.Wait(deadline); }
            catch (AggregateException) { }
            RefreshSome(dirty, deadline, CancellationToken.None);
        }
        catch (Exception e) when (e is HypervisorException or TimeoutException)
        {
            _log.Warn("last read of changed VMs before stopping failed: {0}", e.Message);
        }
    }

    /// <summary>The longest the last read before stopping may take.</summary>
    private static readonly TimeSpan FinalReadTimeout = TimeSpan.FromSeconds(5);

    // ---- the refresher: the only caller of the hypervisor's read methods ----

    private void RefreshLoop(CancellationToken stop)
    {
        long lastFull = 0;
        while (!stop.IsCancellationRequested)
        {
            bool woken = _wake.Wait(_interval);
            if (stop.IsCancellationRequested) return;
            if (woken) Thread.Sleep(Coalesce);   // gather the rest of a burst into one datagram
            while (_wake.CurrentCount > 0) _wake.Wait(0);

            bool full;
            Guid[] dirty;
            lock (_dirtyGate)
            {
                full = _fullRefresh || Stopwatch.GetElapsedTime(lastFull) >= _interval;
                _fullRefresh = false;
                dirty = [.. _dirty];
                _dirty.Clear();
            }
            if (!_hypervisor.Reachable) continue;
            try
            {
                if (full)
                {
                    lastFull = Stopwatch.GetTimestamp();
                    RefreshEverything(stop);
                }
                else if (dirty.Length > 0) RefreshSome(dirty, _callTimeout, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopping in the middle of a read: the last read before the stopping datagram does these VMs.
                lock (_dirtyGate) foreach (var g in dirty) _dirty.Add(g);
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
            {
                if (e is HypervisorException or TimeoutException) _log.Warn("reading the VMs failed: {0}", e.Message);
                else _log.Error(e, "reading the VMs failed");
                // Try again: the dirty VMs were not read.
                lock (_dirtyGate) { foreach (var g in dirty) _dirty.Add(g); if (full) _fullRefresh = true; }
            }
        }
    }

    private void RefreshEverything(CancellationToken stop)
    {
        var all = Call(_hypervisor.ReadAll, _callTimeout, stop);
        var facts = Call(_hypervisor.ReadFacts, _callTimeout, stop);
        var changed = new List<VmState>();
        bool first;
        lock (_gate)
        {
            first = !_loaded;
            _facts = WithMemoryFree(facts, all);
            var seen = new HashSet<Guid>();
            foreach (var vm in all)
            {
                seen.Add(vm.Uuid);
                if (Store(vm) is { } s && _loaded) changed.Add(s);
            }
            foreach (var (uuid, vm) in _vms.ToArray())
            {
                if (seen.Contains(uuid)) continue;
                _vms.Remove(uuid);
                if (_loaded) changed.Add(VmState.TombstoneFor(uuid, vm.Name));
            }
            _loaded = true;
        }
        if (changed.Count > 0) _sender.SendEvent(changed, HostStatus.None);
        // The first complete picture (at start, after a reconnect) goes out now, not at the next heartbeat.
        if (first) SendReport();
    }

    /// <summary>
    /// memory-free as placement needs it (spec §5.3): the host's memory less what its running and paused VMs
    /// hold, as Nova and OpenNebula count it. libvirt's own free figure is the kernel's MemFree, which page
    /// cache keeps low on a busy host (and which the test driver reports in the wrong unit).
    /// </summary>
    internal static AttrList WithMemoryFree(AttrList facts, IReadOnlyList<VmState> vms)
    {
        if (facts.Number(AttrType.MemoryTotal) is not ulong t) return facts;
        ulong held = 0;
        foreach (var vm in vms)
            if (vm.Power is PowerState.Running or PowerState.Paused or PowerState.Blocked or PowerState.ShuttingDown) held += vm.MemoryKib;
        var copy = new AttrList();
        foreach (var a in facts) if (a.Type != AttrType.MemoryFree) copy.Add(a);
        copy.Add(AttrType.MemoryFree, t > held ? t - held : 0);
        return copy;
    }

    // Re-reads these VMs and sends what changed. A read that fails part way still sends the VMs read before
    // it: the table holds them already, so a later read would find nothing new to send.
    private void RefreshSome(Guid[] uuids, TimeSpan timeout, CancellationToken stop)
    {
        var changed = new List<VmState>();
        try
        {
            foreach (var uuid in uuids)
            {
                if (uuid == Guid.Empty) continue;
                var vm = Call(() => _hypervisor.Read(uuid), timeout, stop);
                lock (_gate)
                {
                    if (vm is not null) { if (Store(vm) is { } s) changed.Add(s); }
                    else if (_vms.Remove(uuid, out var gone)) changed.Add(VmState.TombstoneFor(uuid, gone.Name));
                }
            }
        }
        finally
        {
            if (changed.Count > 0) _sender.SendEvent(changed, HostStatus.None);
        }
    }

    // Stores a VM as read (plus last-request); returns it when it differs from what was held. Under _gate.
    private VmState? Store(VmState vm)
    {
        if (_lastRequest.TryGetValue(vm.Uuid, out ulong id))
        {
            vm = vm with { Attributes = [.. vm.Attributes, new Attr { Type = AttrType.LastRequest, Number = id }] };
        }
        if (_vms.TryGetValue(vm.Uuid, out var held) && held == vm) return null;
        _vms[vm.Uuid] = vm;
        return vm;
    }

    // A hypervisor read with a deadline; never two stuck reads at once.
    private T Call<T>(Func<T> read, TimeSpan timeout, CancellationToken stop)
    {
        if (_pendingCall is { IsCompleted: false })
            throw new TimeoutException("an earlier hypervisor read has not returned yet");
        var task = _workers.Run(read, Timeout.InfiniteTimeSpan);
        _pendingCall = task;
        try
        {
            if (!task.Wait(timeout, stop)) throw new TimeoutException($"the hypervisor did not answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (AggregateException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
        }
        return task.Result;
    }

    // ---- sending ----

    // Sends one complete report now: the heartbeat, and the first complete picture after a (re)connect. Returns the
    // datagrams it took (0: nothing read yet, nothing sent).
    internal int SendReport()
    {
        if (!_hypervisor.Reachable)
        {
            // No records while the hypervisor is away: the controller shows the VMs unknown and keeps them (§6.1).
            _sender.SendEvent([], HostStatus.Unreachable);
            // Not before libvirt was tried: until the reason changes from the one it had before the first
            // connect ("not connected yet"), "unreachable" says nothing about libvirt.
            if (_hypervisor.UnreachableReason is { } reason && reason != _reasonBeforeTrying) _started.TrySetResult();
            return 1;
        }
        List<VmState> vms;
        AttrList facts;
        lock (_gate)
        {
            if (!_loaded) return 0;   // nothing read yet: an empty report would remove every VM at the controller
            vms = [.. _vms.Values];
            facts = [.. _facts];
        }
        facts.Add(AttrType.Port, Port);
        facts.Add(AttrType.VmCount, (ulong)vms.Count);
        int pages = _sender.SendReport(vms, facts);
        _started.TrySetResult();
        return pages;
    }

    // A liveness datagram (spec §6.5): an event datagram without records, with a sequence number of its own and the
    // host's status now (unreachable, or not), so that one lost datagram does not leave an interval silent. None while
    // nothing has been read since a (re)connect: the report that follows says first that the host is back.
    private void SendLiveness()
    {
        if (!_hypervisor.Reachable)
        {
            _sender.SendEvent([], HostStatus.Unreachable);
            return;
        }
        bool loaded;
        lock (_gate) loaded = _loaded;
        if (loaded) _sender.SendEvent([], HostStatus.None);
    }

    public void Dispose()
    {
        _hypervisor.VmChanged -= MarkDirty;
        _hypervisor.ReachabilityChanged -= OnReachability;
        _sender.Dispose();
        _wake.Dispose();
    }


}
