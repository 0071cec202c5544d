// The single owner of fleet state (spec §6): hosts and their VMs as the hosts' datagrams describe them,
// nothing stored on disk. Datagrams are applied by one ingest thread; each host has its own lock, held
// briefly by ingest per datagram and by readers per host, so queries never stall ingest for long and
// always see each host whole.
// Threads and what they own: the ingest thread (Apply) alone owns the scratch lists of what a datagram
// changed (_changed, _removedViews, _removed). The sweep runs on a timer thread at the same time, under the
// lock of the host it looks at, and touches none of them: a host it finds down has every VM announced from
// the host itself, so it needs no list. The host table (_byName, _hosts) changes under _hostsGate: ingest adds,
// the sweep (forget-after) and the admin socket (host forget) remove. Readers (queries, the admin socket)
// take one host's lock at a time.
using System.Collections.Concurrent;
using System.Text;
using NLog;
using Vmm.Controller.Events;
using Vmm.Hosting.Configuration;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Inventory;

/// <summary>The fleet inventory: applies STATE datagrams (spec §6.5, §6.6), answers queries, resolves
/// references for requests, and publishes changes to watchers.</summary>
internal sealed partial class FleetInventory
{
    private readonly InventoryOptions _options;
    private readonly Func<long> _clock;
    private readonly Logger _log;
    private readonly long _downAfterMs;
    private readonly long _startedMs;

    private readonly ConcurrentDictionary<byte[], HostEntry> _byName = new(HostNameComparer.Instance);
    private readonly ConcurrentDictionary<byte[], HostEntry>.AlternateLookup<ReadOnlySpan<byte>> _byNameBytes;
    private readonly Lock _hostsGate = new();
    private volatile HostEntry[] _hosts = [];

    private readonly Lock _requestsGate = new();
    private readonly Dictionary<Guid, LastRequest> _lastRequests = [];

    // Ingest thread only (see the header): what the datagram being applied changed.
    private readonly List<VmEntry> _changed = [];
    private readonly List<VmView> _removedViews = [];
    private readonly List<VmEntry> _removedEntries = [];
    private readonly List<Guid> _removed = [];

    /// <param name="options">Heartbeat interval, down threshold, bounds and pinned hosts.</param>
    /// <param name="clockMs">A monotonic clock in ms; <see cref="Environment.TickCount64"/> by default.</param>
    /// <param name="log">Where host changes are logged; the logger "vmm.inventory" by default.</param>
    /// <param name="wallMs">Unix time in ms, for the event history; the system clock by default.</param>
    public FleetInventory(InventoryOptions options, Func<long>? clockMs = null, Logger? log = null, Func<long>? wallMs = null)
    {
        _options = options;
        Events = new EventLog(options.MaxEvents, Watchers, wallMs);
        _clock = clockMs ?? (static () => Environment.TickCount64);
        _log = log ?? LogManager.GetLogger("vmm.inventory");
        _downAfterMs = options.DownAfterMs;
        _startedMs = _clock();
        _byNameBytes = _byName.GetAlternateLookup<ReadOnlySpan<byte>>();
        foreach (var pin in options.Pins)
        {
            if (!Validation.IsName(pin.Name)) throw new ArgumentException($"pinned host name '{pin.Name}' is not a valid name");
            var bytes = Encoding.UTF8.GetBytes(pin.Name);
            var host = new HostEntry(bytes, pin);
            if (!_byName.TryAdd(bytes, host)) throw new ArgumentException($"host {pin.Name} is pinned twice");
            _hosts = [.. _hosts, host];
        }
    }

    public InventoryOptions Options => _options;

    public IngestCounters Counters { get; } = new();

    public WatchHub Watchers { get; } = new();

    /// <summary>The event history (spec §7.7): what this inventory changed, and what the controller did and decided.</summary>
    public EventLog Events { get; }

    /// <summary>Monotonic ms, by the inventory's clock.</summary>
    public long Now => _clock();

    /// <summary>
    /// Applies one authenticated, parsed STATE datagram from <paramref name="from"/>. Returns
    /// <see cref="DropReason.None"/> when it was applied, else why it was dropped (already counted).
    /// Called by one thread at a time (the ingest thread); allocates nothing when no record changed
    /// and nobody watches this host.
    /// </summary>
    public DropReason Apply(in StateView state, PeerAddress from) => Apply(state, from, out _);

    /// <summary>Applies a datagram as <see cref="Apply(in StateView, PeerAddress)"/> does, and gives the
    /// host it named (null only when the bound on hosts refused a new one).</summary>
    public DropReason Apply(in StateView state, PeerAddress from, out HostEntry? named) => Apply(state, from, carried: false, out named);

    /// <summary>
    /// Applies an event datagram that an ACK of its host carried (spec §7.2, state), already authenticated and parsed,
    /// on the ingest's thread discipline as <see cref="Apply(in StateView, PeerAddress)"/>. Where the host's datagrams
    /// come from stays as it was. Its UDP copy, before or after it, is applied once and counted as no drop: None then.
    /// </summary>
    public DropReason ApplyCarried(in StateView state, out HostEntry? named) => Apply(state, PeerAddress.None, carried: true, out named);

    private DropReason Apply(in StateView state, PeerAddress from, bool carried, out HostEntry? named)
    {
        var host = named = FindOrAdd(state.HostUtf8);
        if (host is null)
        {
            Counters.CountDropped(DropReason.HostLimit);
            return DropReason.HostLimit;
        }

        _removed.Clear();
        lock (host.Gate)
        {
            long now = _clock();
            ulong before = host.BootId;
            var reason = host.Admit(state.BootId, state.Sequence, now, _downAfterMs, out ulong replaced);
            if (reason == DropReason.Stale && state.Status == HostStatus.None && host.Report.Awaits(state.Report, state.Page, state.Pages))
            {
                // A page of the report being collected that a later page overtook: it completes the report.
                host.Accepted++;
                ApplyLatePage(host, state, now);
                Announce(host, now, _changed, _removedViews);
                Counters.CountAccepted();
                if (_removed.Count > 0) ForgetRequestsOf(_removed);
                return DropReason.None;
            }
            if (reason == DropReason.Stale && carried && !host.WasCarried(state.BootId, state.Sequence) && host.Sequence != 0)
            {
                // Carried in an ACK that a newer datagram overtook (its UDP copy lost, or not here yet).
                ApplyLateCarried(host, state, now);
                host.RememberCarried(state.Sequence);
                Counters.CountCarried();
                Announce(host, now, _changed, _removedViews);
                if (_removed.Count > 0) ForgetRequestsOf(_removed);
                return DropReason.None;
            }
            if (reason is DropReason.Duplicate or DropReason.Stale && (carried || host.WasCarried(state.BootId, state.Sequence)))
            {
                // The datagram came twice, in an ACK and by UDP: the first copy was applied, the other is no drop.
                Counters.CountCarriedEcho();
                return DropReason.None;
            }
            if (reason != DropReason.None)
            {
                host.Dropped++;
                Counters.CountDropped(reason);
                if (reason == DropReason.CompetingBoot) CompetingBootHeard?.Invoke(host.Name);
                return reason;
            }
            if (host.BootId != before) LogBoot(host, state.BootId, replaced, from);
            bool wasHeard = host.Heard;
            var oldAddress = host.Address;
            ushort? oldPort = host.Facts.Port;
            host.Sequence = state.Sequence;
            host.LastHeardMs = now;
            host.Heard = true;
            host.Accepted++;
            if (carried)
            {
                host.RememberCarried(state.Sequence);
                Counters.CountCarried();
            }
            else host.Address = from;
            host.Facts.Apply(state.Facts);
            bool draining = (state.Status & HostStatus.Draining) != 0;
            if (draining != host.Draining) LogDraining(host, draining);
            host.Draining = draining;
            if (wasHeard && !carried && (oldAddress != from || (oldPort is not null && host.Facts.Port != oldPort)))
                LogRebind(host, oldAddress, oldPort, from, now);
            ApplyBody(host, state, now);
            if ((state.Status & HostStatus.Stopping) != 0) host.Stop();
            Announce(host, now, _changed, _removedViews);
        }
        Counters.CountAccepted();
        if (_removed.Count > 0) ForgetRequestsOf(_removed);
        return DropReason.None;
    }

    /// <summary>
    /// Counts a datagram dropped before a host could be named (framing, authentication, body): globally and as
    /// unattributed, never against a host. Its source address proves nothing (anyone can send from a host's
    /// address), nor does a name in bytes that did not authenticate: charging either would let anyone raise a
    /// real host's dropped counter. The drop log names the source address.
    /// </summary>
    public void CountUnattributed(DropReason reason)
    {
        Counters.CountDropped(reason);
        Counters.CountUnattributed();
    }

    /// <summary>Finds the host a datagram names, learning it when new (within the bound on hosts).</summary>
    private HostEntry? FindOrAdd(ReadOnlySpan<byte> name)
    {
        if (_byNameBytes.TryGetValue(name, out var host)) return host;
        lock (_hostsGate)
        {
            if (_byNameBytes.TryGetValue(name, out host)) return host;
            if (_hosts.Length >= _options.MaxHosts) return null;
            var bytes = name.ToArray();
            host = new HostEntry(bytes, pin: null) { LastHeardMs = _clock() };
            _byName[bytes] = host;
            _hosts = [.. _hosts, host];
            return host;
        }
    }

    private void ApplyBody(HostEntry host, in StateView state, long now)
    {
        bool watching = Watchers.Watches(host.Name);
        _changed.Clear();
        _removedViews.Clear();
        _removedEntries.Clear();
        bool fenced = (state.Status & HostStatus.Fenced) != 0;
        if (fenced != host.Fenced)
        {
            host.Fenced = fenced;
            FencedChanged(host, fenced, now);
        }
        if ((state.Status & HostStatus.Unreachable) != 0)
        {
            // No records, and nothing may be removed on its account (spec §6.1); a report being collected
            // cannot complete across it.
            host.Unreachable = true;
            host.Report.Reset();
            return;
        }
        host.Unreachable = false;

        bool inReport = state.Pages > 0 && host.Report.Add(state.Report, state.Page, state.Pages, state.Sequence);
        uint mark = inReport ? state.Report : 0;
        foreach (var record in state.Vms)
            ApplyRecord(host, record, state.Sequence, mark, now, watching);
        if (inReport && host.Report.TryComplete(out uint complete))
            RemoveUnreported(host, complete, host.Report.LowestSequence, now, watching);
    }

    /// <summary>
    /// A page of the report being collected that arrived after a later page (spec §6.5): it counts towards the
    /// report, and its records replace only what is older than the page. It adds no VM the host does not hold
    /// (a later event may have removed it) and removes none; the host's newest sequence stays.
    /// </summary>
    private void ApplyLatePage(HostEntry host, in StateView state, long now)
    {
        bool watching = Watchers.Watches(host.Name);
        _changed.Clear();
        _removedViews.Clear();
        _removedEntries.Clear();
        host.Report.Add(state.Report, state.Page, state.Pages, state.Sequence);
        foreach (var record in state.Vms)
        {
            if ((record.Flags & VmFlags.Tombstone) != 0 || !host.Vms.TryGetValue(record.Uuid, out var vm)) continue;
            vm.SeenInReport = state.Report;
            if (vm.Sequence >= state.Sequence) continue;
            bool changed = vm.Set(record.Bytes);
            vm.Sequence = state.Sequence;
            vm.UpdatedMs = now;
            if (changed) _changed.Add(vm);
        }
        if (host.Report.TryComplete(out uint complete))
            RemoveUnreported(host, complete, host.Report.LowestSequence, now, watching);
    }

    /// <summary>
    /// An event datagram carried in an ACK (spec §7.2, state) that a newer datagram of the host overtook: a record
    /// replaces only one held from an older datagram, a tombstone removes only a VM held from an older datagram, and
    /// it adds no VM (a later datagram may have removed it). The host's newest sequence stays.
    /// </summary>
    private void ApplyLateCarried(HostEntry host, in StateView state, long now)
    {
        bool watching = Watchers.Watches(host.Name);
        _changed.Clear();
        _removedViews.Clear();
        _removedEntries.Clear();
        foreach (var record in state.Vms)
        {
            if (!host.Vms.TryGetValue(record.Uuid, out var vm) || vm.Sequence >= state.Sequence) continue;
            if ((record.Flags & VmFlags.Tombstone) != 0)
            {
                host.Vms.Remove(record.Uuid);
                Removed(host, vm, now, watching);
                continue;
            }
            bool changed = vm.Set(record.Bytes);
            vm.Sequence = state.Sequence;
            vm.UpdatedMs = now;
            if (changed) _changed.Add(vm);
        }
    }

    private void ApplyRecord(HostEntry host, in VmRecordView record, ulong sequence, uint mark, long now, bool watching)
    {
        var uuid = record.Uuid;
        if ((record.Flags & VmFlags.Tombstone) != 0)
        {
            // A tombstone removes at once (spec §6.2).
            if (host.Vms.Remove(uuid, out var gone)) Removed(host, gone, now, watching);
            return;
        }
        bool changed;
        if (!host.Vms.TryGetValue(uuid, out var vm))
        {
            if (host.Vms.Count >= _options.MaxVmsPerHost)
            {
                SkipOverLimit(host, now);
                return;
            }
            vm = new VmEntry(uuid);
            host.Vms.Add(uuid, vm);
            changed = vm.Set(record.Bytes);
        }
        else changed = vm.Set(record.Bytes);
        vm.Sequence = sequence;
        vm.UpdatedMs = now;
        if (mark != 0) vm.SeenInReport = mark;
        if (changed) _changed.Add(vm);
    }

    /// <summary>
    /// Report <paramref name="report"/> is complete: remove the VMs that appear in none of its pages and
    /// whose newest record is older than its first page (spec §6.5). A record from an event sent while the
    /// report was paged is newer, and stays.
    /// </summary>
    private void RemoveUnreported(HostEntry host, uint report, ulong lowestSequence, long now, bool watching)
    {
        host.Reported = true;   // every VM the host holds is known here now (the warm-up's test, spec §7.4)
        foreach (var (uuid, vm) in host.Vms)
        {
            if (vm.SeenInReport == report || vm.Sequence >= lowestSequence) continue;
            host.Vms.Remove(uuid); // allowed while enumerating a Dictionary
            Removed(host, vm, now, watching);
        }
    }

    private void Removed(HostEntry host, VmEntry vm, long now, bool watching)
    {
        _removed.Add(vm.Uuid);
        _removedEntries.Add(vm);
        if (watching) _removedViews.Add(new VmView(host.Name, vm.Record.ToArray(), Unknown: false, Removed: true, now - vm.UpdatedMs, null));
    }

    /// <summary>Publishes what a datagram changed (<paramref name="changed"/>, <paramref name="removed"/>: the
    /// ingest thread's lists, which it empties) or, with none, what the sweep found, and logs a change of the
    /// host's state. Called under the host's lock, so that watchers see each host's changes in order.</summary>
    private void Announce(HostEntry host, long now, List<VmEntry>? changed = null, List<VmView>? removed = null)
    {
        var state = host.StateAt(now, _downAfterMs);
        var previous = host.Announced;
        bool transition = state != previous;
        if (transition) LogTransition(host, host.Announced, state, now);
        host.Announced = state;
        bool marked = host.Draining != host.AnnouncedDraining;
        host.AnnouncedDraining = host.Draining;
        Record(host, previous, state, marked, changed, changed is null ? null : _removedEntries);
        if (Watchers.Watches(host.Name))
        {
            if (removed is not null)
                foreach (var gone in removed) Watchers.Publish(new VmChange(gone));
            if (transition)
            {
                // Every VM of the host turns unknown, or known again.
                Watchers.Publish(new HostChange(ViewOf(host, state, now)));
                foreach (var vm in host.Vms.Values) Watchers.Publish(new VmChange(ViewOf(host, vm, state, now)));
            }
            else
            {
                // The draining mark is shown with the host (watch, host list); its VMs did not change with it.
                if (marked) Watchers.Publish(new HostChange(ViewOf(host, state, now)));
                if (changed is not null)
                    foreach (var vm in changed) Watchers.Publish(new VmChange(ViewOf(host, vm, state, now)));
            }
        }
        changed?.Clear();
        removed?.Clear();
    }

    private void SkipOverLimit(HostEntry host, long now)
    {
        Counters.CountVmOverLimit();
        if (now - host.VmLimitWarnedAt < 10_000 && host.VmLimitWarnedAt != 0) return;
        host.VmLimitWarnedAt = now;
        _log.Warn("host {0} reports more than {1} VMs, the bound per host: records of further VMs are ignored", host.Name, _options.MaxVmsPerHost);
    }

}
