// hostd's half of STATE (spec §6.5): event datagrams within milliseconds of a libvirt event (bursts
// coalesced), and a complete report of every VM each heartbeat interval, paged at 1200 bytes; a report of fewer
// pages than min-datagrams-per-interval is eked out with liveness datagrams spread over the interval (HeartbeatSlots).
// Who owns what:
//   - the VM table is VmRefresher's: its loop alone calls the hypervisor's read methods and writes the table; libvirt's
//     event thread and the request workers only post to its inbox (MarkDirty, RequestDone, OnReachability);
//   - the heartbeat loop (RunAsync) owns the timing of reports and liveness datagrams: it reads the refresher's last
//     published view without a lock, so a hypervisor that hangs never delays a heartbeat. It is also what systemd's
//     watchdog trusts (Heartbeat): it goes round whatever libvirt does, unless hostd is wedged;
//   - what goes on the wire (sequence numbers, pages, the socket) is StateSender's, entered from both loops under
//     its own lock.
using System.Net;
using NLog;
using Vmm.Hosting.Systemd;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Internal;

/// <summary>Sends the host's VM table (kept by its VmRefresher) to every controller.</summary>
internal sealed class StatePublisher : IDisposable
{
    private readonly IHypervisor _hypervisor;
    private readonly TimeSpan _interval;
    private readonly int _perInterval;
    private readonly TimeProvider _time;
    private readonly StateSender _sender;
    private readonly VmRefresher _refresher;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string? _reasonBeforeTrying;

    private long _slots;

    // perInterval: the least datagrams sent each interval (min-datagrams-per-interval, spec §6.5), the report's pages
    // and liveness datagrams for the rest. time: the heartbeat loop's clock; the system's unless a test gives its own.
    public StatePublisher(IHypervisor hypervisor, ulong bootId, string host, IReadOnlyList<IPEndPoint> controllers,
        KeyRing keys, TimeSpan interval, int perInterval, TimeSpan callTimeout, BlockingWorkers workers, Logger log, TimeProvider? time = null,
        DrainMark? drain = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perInterval, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(perInterval, HeartbeatSlots.Max);
        _perInterval = perInterval;
        _time = time ?? TimeProvider.System;
        BootId = bootId;
        _hypervisor = hypervisor;
        _interval = interval;
        _sender = new StateSender(bootId, host, controllers, keys, log, drain);
        _refresher = new VmRefresher(hypervisor, interval, callTimeout, workers, log,
            (changed, sent) => _sender.SendEvent(changed, HostStatus.None, sent), () => SendReport());
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
    public int VmCount => _refresher.Current.Vms.Length;

    /// <summary>The VMs of the table as last published, counted by power state into <paramref name="counts"/> (indexed by its value).</summary>
    public void CountByPower(Span<int> counts)
    {
        counts.Clear();
        foreach (var vm in _refresher.Current.Vms)
            if ((int)vm.Power < counts.Length) counts[(int)vm.Power]++;
    }

    /// <summary>VM re-reads that did not fit the refresher's inbox (each became a read of every VM).</summary>
    public long RefreshOverflows => _refresher.Overflows;

    /// <summary>
    /// The host fenced itself (its lease lapsed), or a renewal ended that: every datagram says so from now on, and
    /// one goes out at once (spec §15). Never blocks.
    /// </summary>
    public void SetFenced(bool fenced)
    {
        _sender.Sticky = fenced ? _sender.Sticky | HostStatus.Fenced : _sender.Sticky & ~HostStatus.Fenced;
        _sender.SendEvent([], _hypervisor.Reachable ? HostStatus.None : HostStatus.Unreachable);
    }

    /// <summary>A request finished for <paramref name="vm"/>: remember its id for last-request and re-read the VM
    /// (memory, vCPUs, disks, NICs and snapshots change without a libvirt event). Never blocks.</summary>
    public void RequestDone(Guid vm, ulong requestId) => _refresher.Post(vm, requestId);

    /// <summary>The sender of this boot's datagrams (usage goes out through it too, spec §16).</summary>
    internal StateSender Sender => _sender;

    /// <summary>Where requests get the event datagram that showed them (VmRefresher.Expect).</summary>
    public VmRefresher Refresher => _refresher;

    /// <summary>A VM changed (libvirt event): re-read it soon. Called on libvirt's event thread: never blocks.</summary>
    public void MarkDirty(Guid vm) => _refresher.Post(vm);

    // Lost or back: re-read every VM soon; after a reconnect, report anew as soon as the table is read again.
    private void OnReachability(bool reachable) => _refresher.ReadEverything(reconnected: reachable);

    /// <summary>Runs the refresher and the heartbeat until <paramref name="stop"/>, then sends the stopping datagram
    /// once the refresher has read the VMs the last requests changed.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var refresher = Task.Run(() => _refresher.RunAsync(stop), CancellationToken.None);
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
        await refresher.ConfigureAwait(false);
        _sender.SendEvent([], HostStatus.Stopping);
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
        return facts.Without(AttrType.MemoryFree).Add(AttrType.MemoryFree, t > held ? t - held : 0);
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
        var view = _refresher.Current;
        // Nothing read yet over this connection: an empty report would remove every VM at the controller, a table
        // read over the lost connection would show what may have changed since.
        if (!_refresher.IsCurrent(view)) return 0;
        List<VmState> vms = [.. view.Vms];
        AttrList facts = [.. view.Facts];
        facts.Add(AttrType.Port, Port);
        facts.Add(AttrType.VmCount, (ulong)vms.Count);
        int pages = _sender.SendReport(vms, facts);
        _started.TrySetResult();
        return pages;
    }

    /// <summary>A status bit changed (the draining mark): a liveness datagram says so now, not at the next report.</summary>
    public void StatusChanged() => SendLiveness();

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
        if (_refresher.IsCurrent(_refresher.Current)) _sender.SendEvent([], HostStatus.None);
    }

    public void Dispose()
    {
        _hypervisor.VmChanged -= MarkDirty;
        _hypervisor.ReachabilityChanged -= OnReachability;
        _sender.Dispose();
    }
}
