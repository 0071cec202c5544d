// HA restart (spec §15): an HA VM whose host is down is defined and started on another host with room, once this
// controller is sure the old copy cannot run: it holds the host's lease, and fence-after plus a margin has passed
// since the host last acknowledged a renewal, so the host has fenced its HA VMs (or is dead). Guards: no action
// while more than a set share of the hosts is down at once; at most ha-max-attempts hosts are tried for one VM,
// then it is reported; only the lease holder acts for a host. Every decision is logged and shown to watchers. When
// the old host comes back, the fenced copy it still defines is removed (undefined; the disks, now the new copy's,
// stay).
using NLog;
using Vmm.Controller.Inventory;
using Vmm.Controller.Placement;
using Vmm.Hosting;
using Vmm.Protocol;
using Vmm.Protocol.Text;

namespace Vmm.Controller.Ha;

/// <summary>What the restarter did, counted.</summary>
internal sealed class HaCounters
{
    /// <summary>VMs restarted elsewhere, attempts that failed, VMs given up on, stale copies removed, ticks skipped by the down-share guard.</summary>
    public long Restarted, FailedAttempts, GaveUp, StaleRemoved, Paused;
}

/// <summary>Restarts the HA VMs of down hosts whose lease this controller holds and has seen lapse.</summary>
internal sealed class HaRestarter(FleetInventory inventory, IDispatcher dispatcher, LeaseBook book, Placer placer, HaOptions options,
    Logger log, Func<long>? nowMs = null)
{
    private readonly Func<long> _now = nowMs ?? (() => Environment.TickCount64);
    private readonly Lock _gate = new();
    // One entry per VM this controller is restarting or has restarted, until its old host is up again without it.
    private readonly Dictionary<Guid, Job> _jobs = [];
    // What was last said of each host, so that a decision that stands is logged once, not every tick.
    private readonly Dictionary<string, string> _said = new(StringComparer.Ordinal);
    private readonly PendingSet<Job> _running = new();
    private string? _guardSaid;

    public HaCounters Counters { get; } = new();

    /// <summary>Restarts in flight now.</summary>
    public int InFlight => _running.Count;

    /// <summary>Looks at the fleet every tick until <paramref name="stop"/>, then waits for the restarts in flight; never faults.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(options.Tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    Tick(stop);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.Error(e, "HA: looking at the fleet failed");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        await _running.WhenEmpty().ConfigureAwait(false);
    }

    /// <summary>One look at the fleet: decides for every down host, starts the restarts due, and tidies after hosts that came back.</summary>
    internal void Tick(CancellationToken stop)
    {
        var hosts = inventory.Hosts();
        int counted = hosts.Count(HaRules.Counted);
        int down = hosts.Count(h => h.State == HostState.Down);
        Tidy(hosts, stop);
        if (down == 0)
        {
            _guardSaid = null;
            lock (_gate) _said.Clear();
            return;
        }
        if (HaRules.TooManyDown(down, counted, options.MaxDownPercent))
        {
            Interlocked.Increment(ref Counters.Paused);
            string line = $"HA paused: {down} of {counted} hosts are down, more than ha-max-down-percent {options.MaxDownPercent}%: " +
                "this controller is more likely cut off from them than they are all dead; no VM is restarted elsewhere";
            if (_guardSaid != line)
            {
                _guardSaid = line;
                log.Warn(line);
                foreach (var h in hosts)
                    if (h.State == HostState.Down) inventory.Note(h.Name, line);
            }
            return;
        }
        _guardSaid = null;
        long now = _now();
        foreach (var host in hosts)
        {
            if (host.State == HostState.Down) Decide(host, now, stop);
            else lock (_gate) _said.Remove(host.Name);
        }
    }

    private void Decide(HostView host, long now, CancellationToken stop)
    {
        var wanted = inventory.Vms(host.Name).Where(HaRules.Wanted).ToList();
        if (wanted.Count == 0) return;
        var lease = book.Of(host.Name);
        long? fencedBy = book.FencedBy(host.Name, (long)options.FenceAfter.TotalMilliseconds, (long)options.Margin.TotalMilliseconds);
        if (fencedBy is not { } at)
        {
            Say(host.Name, "not-holder", lease.Holder is { } holder && holder != options.ControllerId
                ? $"host {host.Name} is down with {wanted.Count} HA VM(s): controller {holder} holds its lease, so it alone restarts them"
                : $"host {host.Name} is down with {wanted.Count} HA VM(s), but this controller never held its lease: it cannot know when they were fenced, and restarts none");
            return;
        }
        if (now < at)
        {
            Say(host.Name, "waiting", $"host {host.Name} is down (silent {Seconds(host.AgeMs ?? 0)} s) with {wanted.Count} HA VM(s): " +
                $"restarting them elsewhere in {Seconds(at - now)} s, once its lease has lapsed (fence-after {Seconds((long)options.FenceAfter.TotalMilliseconds)} s " +
                $"and ha-margin {Seconds((long)options.Margin.TotalMilliseconds)} s after its last renewal)");
            return;
        }
        Say(host.Name, "lapsed", $"host {host.Name}: its lease lapsed {Seconds(now - at + (long)options.Margin.TotalMilliseconds)} s ago, so it has fenced its HA VMs (or is dead): restarting {wanted.Count} elsewhere");
        foreach (var vm in wanted)
        {
            if (RunsElsewhere(vm.Uuid, host.Name) is not null) continue;
            Job job;
            lock (_gate)
            {
                if (_jobs.ContainsKey(vm.Uuid) || _running.Count >= options.MaxRestartsInFlight) continue;
                job = new Job(vm.Uuid, vm.Name, host.Name, now - (host.AgeMs ?? 0));
                _jobs.Add(vm.Uuid, job);
                _running.Add(job);
            }
            job.Work = Task.Run(() => RestartAsync(job, vm, stop), CancellationToken.None);
        }
    }

    // Restarts one VM: up to MaxAttempts hosts, each an add (the same uuid, the disks on their shared volumes) and a
    // start; a host where either fails is left (with what the add defined removed) and the next one tried. Never faults.
    private async Task RestartAsync(Job job, VmView vm, CancellationToken stop)
    {
        try
        {
            var record = vm.ToState();
            if (HaRules.AddParameters(record, out string? why) is not { } parameters)
            {
                GiveUp(job, vm, $"HA VM {job.Name} of down host {job.From} cannot be restarted elsewhere: {why}");
                return;
            }
            var tried = new HashSet<string>(StringComparer.Ordinal) { job.From };
            var failures = new List<string>();
            for (int attempt = 1; attempt <= options.MaxAttempts; attempt++)
            {
                if (inventory.Host(job.From) is { State: not HostState.Down } back)
                {
                    Note(vm, $"HA restart of {job.Name} abandoned: host {job.From} is {Names.Of(back.State)} again, and says how the VM is");
                    Forget(job);
                    return;
                }
                if (RunsElsewhere(job.Uuid, job.From) is { } where)
                {
                    Note(vm, $"HA restart of {job.Name} not needed: it runs on {where}");
                    job.To = where;
                    return;
                }
                var choice = placer.Choose(inventory.Hosts().Where(h => !tried.Contains(h.Name)), record.Vcpus, record.MemoryKib, Held, ha: true);
                if (choice.Host is not { } to)
                {
                    failures.Add(choice.Message);
                    break;
                }
                tried.Add(to);
                if (!inventory.TryGetTarget(to, out var target))
                {
                    failures.Add($"{to}: no current boot");
                    continue;
                }
                job.Trying = new Attempt(to, record.Vcpus, record.MemoryKib);
                Note(vm, $"HA: restarting {job.Name} on {to} (attempt {attempt} of {options.MaxAttempts}): host {job.From} silent " +
                    $"{Seconds(_now() - job.SilentSinceMs)} s and its lease lapsed, so the old copy is fenced");
                var add = await SendAsync(target, RequestCode.Add, RequestFlags.None, job, parameters, stop).ConfigureAwait(false);
                inventory.RecordRequest(job.Uuid, RequestCode.Add, add.Code);
                if (add.Code != AckCode.Success)
                {
                    Failed(job, vm, to, "define", add, failures);
                    continue;
                }
                var start = await SendAsync(target, RequestCode.Start, RequestFlags.None, job, [], stop).ConfigureAwait(false);
                inventory.RecordRequest(job.Uuid, RequestCode.Start, start.Code);
                if (start.Code == AckCode.Success)
                {
                    job.To = to;
                    job.Trying = null;
                    Interlocked.Increment(ref Counters.Restarted);
                    string line = $"HA: {job.Name} runs on {to}, restarted from down host {job.From} {Seconds(_now() - job.SilentSinceMs)} s after it went silent";
                    log.Warn(line);
                    Note(vm, line);
                    return;
                }
                Failed(job, vm, to, "start", start, failures);
                // What the add defined there goes again (its disks stay: they are the VM's, on shared storage).
                await SendAsync(target, RequestCode.Remove, RequestFlags.Force, job, [], stop).ConfigureAwait(false);
            }
            GiveUp(job, vm, $"HA: gave up restarting {job.Name} of down host {job.From} after {tried.Count - 1} host(s) " +
                $"(ha-max-attempts {options.MaxAttempts}): {string.Join("; ", failures)}");
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Forget(job);
        }
        catch (Exception e)
        {
            log.Error(e, "HA: restarting {0} failed", job.Name);
            GiveUp(job, vm, $"HA: restarting {job.Name} failed: {e.Message}");
        }
        finally
        {
            job.Trying = null;
            _running.Remove(job);
        }
    }

    private void Failed(Job job, VmView vm, string to, string step, DispatchResult result, List<string> failures)
    {
        Interlocked.Increment(ref Counters.FailedAttempts);
        string message = result.Results.Text(AttrType.Message) ?? Names.Of(result.Code);
        failures.Add($"{to}: {step}: {message}");
        string line = $"HA: restarting {job.Name} on {to} failed at {step} ({Names.Of(result.Code)}: {message})";
        log.Warn(line);
        Note(vm, line);
    }

    private void GiveUp(Job job, VmView vm, string line)
    {
        Interlocked.Increment(ref Counters.GaveUp);
        job.GaveUp = true;
        log.Error(line);
        Note(vm, line);
    }

    // Room held on each host by restarts in flight, which its reports do not show yet (placement subtracts it).
    private (uint Vcpus, ulong MemoryKib) Held(string host)
    {
        uint vcpus = 0;
        ulong kib = 0;
        foreach (var job in _running.Snapshot())
            if (job.Trying is { } t && t.Host == host)
            {
                vcpus += t.Vcpus;
                kib += t.MemoryKib;
            }
        return (vcpus, kib);
    }

    /// <summary>The up host that reports <paramref name="uuid"/> running (or paused, ...), other than <paramref name="from"/>; null if none.</summary>
    private string? RunsElsewhere(Guid uuid, string from)
    {
        foreach (var v in inventory.VmsWithUuid(uuid))
            if (v.Host != from && !v.Unknown && v.ReportedPower is not (PowerState.Off or PowerState.Crashed)) return v.Host;
        return null;
    }

    // Jobs whose old host is up again: the restarted VM's stale copy there is removed (it was fenced; when it runs,
    // two copies do, which is said loudly and left to the operator); then the job is forgotten.
    private void Tidy(IReadOnlyList<HostView> hosts, CancellationToken stop)
    {
        List<Job> done;
        lock (_gate) done = [.. _jobs.Values.Where(j => j.Work is { IsCompleted: true })];
        foreach (var job in done)
        {
            var from = hosts.FirstOrDefault(h => h.Name == job.From);
            if (from is not null && from.State == HostState.Down) continue;
            var stale = inventory.VmsWithUuid(job.Uuid).FirstOrDefault(v => v.Host == job.From);
            if (job.To is null || stale is null || from is null || from.State != HostState.Up || job.Cleaning)
            {
                if (!job.Cleaning) Forget(job);
                continue;
            }
            if (stale.ReportedPower is PowerState.Running or PowerState.Blocked)
            {
                if (job.TwiceSaid) continue;
                job.TwiceSaid = true;
                string line = $"HA: {job.Name} RUNS ON BOTH {job.From} AND {job.To}: {job.From} did not fence it " +
                    "(its hypervisor may have been unreachable); stop one of them now (vmmctl vm stop --force --host ...)";
                log.Error(line);
                Note(stale, line);
                continue;
            }
            job.Cleaning = true;
            VmView copy = stale;
            _running.Add(job);
            job.Work = Task.Run(() => RemoveStaleAsync(job, copy, stop), CancellationToken.None);
        }
    }

    private async Task RemoveStaleAsync(Job job, VmView stale, CancellationToken stop)
    {
        try
        {
            if (!inventory.TryGetTarget(job.From, out var target)) return;
            // remove, never delete: the disks are the restarted VM's now. Force: a copy fenced by pausing is still active.
            var result = await SendAsync(target, RequestCode.Remove, RequestFlags.Force, job, [], stop).ConfigureAwait(false);
            if (result.Code == AckCode.Success || result.Code == AckCode.NotFound)
            {
                Interlocked.Increment(ref Counters.StaleRemoved);
                string line = $"HA: removed the fenced copy of {job.Name} from {job.From}, which is back; the VM runs on {job.To}";
                log.Info(line);
                Note(stale, line);
            }
            else log.Warn("HA: removing the fenced copy of {0} from {1} failed ({2}); it stays defined there, off", job.Name, job.From,
                result.Results.Text(AttrType.Message) ?? Names.Of(result.Code));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.Warn("HA: removing the fenced copy of {0} from {1} failed: {2}", job.Name, job.From, e.Message);
        }
        finally
        {
            Forget(job);
            _running.Remove(job);
        }
    }

    private void Forget(Job job)
    {
        lock (_gate)
            if (_jobs.TryGetValue(job.Uuid, out var j) && j == job) _jobs.Remove(job.Uuid);
    }

    private void Note(VmView vm, string line) => inventory.Note(vm, line);

    /// <summary>Sends one request of an HA restart, and records it in the event history as the controller's own (spec §7.7).</summary>
    private async Task<DispatchResult> SendAsync(HostTarget target, RequestCode code, RequestFlags flags, Job job, AttrList parameters, CancellationToken stop)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = await dispatcher.SendAsync(target, code, flags, job.Uuid, parameters, stop).ConfigureAwait(false);
        inventory.Events.Record(new Events.Event(EventKind.Request, target.Name, job.Uuid, job.Name, (byte)code, result.Code,
            DurationUs: (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds, RequestId: result.RequestId,
            Text: result.Results.Text(AttrType.Message)));
        return result;
    }

    // A standing decision about a host, logged and shown once.
    private void Say(string host, string what, string line)
    {
        lock (_gate)
        {
            if (_said.TryGetValue(host, out var said) && said == what) return;
            if (_said.Count >= 65536) _said.Clear();   // bounded: a line may be said twice after this
            _said[host] = what;
        }
        log.Warn(line);
        inventory.Note(host, line);
    }

    private static string Seconds(long ms) => (ms / 1000.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>One VM being restarted, or restarted, elsewhere.</summary>
    private sealed class Job(Guid uuid, string name, string from, long silentSinceMs)
    {
        public Guid Uuid { get; } = uuid;
        public string Name { get; } = name;
        public string From { get; } = from;
        public long SilentSinceMs { get; } = silentSinceMs;
        public Task? Work { get; set; }
        public volatile bool GaveUp;
        public volatile bool Cleaning;
        public volatile bool TwiceSaid;
        public volatile string? To;
        /// <summary>The host being tried and the room the VM takes there, while an attempt is out.</summary>
        public volatile Attempt? Trying;
    }

    private sealed record Attempt(string Host, uint Vcpus, ulong MemoryKib);
}
