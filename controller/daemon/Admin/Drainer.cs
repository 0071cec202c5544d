// Maintenance (spec §7.4, drain and undrain): the controller marks a host draining through its hostd (the mark is
// the host's, kept on its disk and sent in every STATE, so that no controller has to remember it), then moves every
// running VM of the host away by live migration, at most `parallel` at a time, each to the host placement picks
// among the others (never a draining one), and reports each VM as it starts and ends its move. Nothing is ever
// stopped: a VM that is off stays defined where it is, one that finds no room or whose migration fails keeps running
// where it is, and both are listed with the reason. A drain ends early, moving nothing more, when the host is
// undrained. Migrations go through the SUBMIT path (SubmitHandler), so each is resolved, sent, recorded and settled
// (the VM shown on its new host) as `vmmctl vm migrate` would be.
using System.Collections.Concurrent;
using System.Diagnostics;
using NLog;
using Vmm.Controller.Events;
using Vmm.Controller.Inventory;
using Vmm.Controller.Placement;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Controller.Admin;

/// <summary>What drains did since the controller started (logged, and for tests).</summary>
internal sealed class DrainCounters
{
    public long Drains, Moved, NotMoved;
}

internal sealed class Drainer(FleetInventory inventory, IDispatcher dispatcher, SubmitHandler submits, Placer placer, Logger log, int defaultParallel)
{
    /// <summary>The most migrations one drain runs at once, whatever a QUERY asks.</summary>
    public const int MaxParallel = 64;

    // One drain per host at a time: the host's name, and who runs it. Bounded by the hosts the inventory holds.
    private readonly ConcurrentDictionary<string, string> _running = new(StringComparer.Ordinal);

    public DrainCounters Counters { get; } = new();

    private FleetInventory Inventory => inventory;
    private Placer Placer => placer;
    private SubmitHandler Submits => submits;
    private Logger Log => log;

    /// <summary>Drains running now.</summary>
    public int Running => _running.Count;

    /// <summary>
    /// Sets (<paramref name="draining"/>) or clears the host's draining mark through its hostd (REQUEST drain), and
    /// answers once the inventory shows it (at most two heartbeat intervals): `host list` right after shows it.
    /// </summary>
    public async Task<AdminResultPdu> MarkAsync(string host, bool draining, CancellationToken stop)
    {
        string verb = draining ? "drain" : "undrain";
        if (inventory.Host(host) is not { } view)
        {
            var (code, message) = inventory.Miss($"no host named {host}");
            return AdminReplies.Result(code, message);
        }
        // hostd keeps the mark itself, so a host whose hypervisor is unreachable (hostd up) can be marked too.
        if (view.State is not (HostState.Up or HostState.Unreachable) || !inventory.TryGetTarget(host, out var target))
            return AdminReplies.Result(AckCode.Unavailable,
                $"host {host} is {Names.Of(view.State)}: its draining mark is kept by its hostd, which cannot be reached; try again once it reports");
        var outcome = await dispatcher.SendAsync(target, RequestCode.Drain, RequestFlags.None, Guid.Empty,
            new AttrList().Add(AttrType.Draining, draining ? 1UL : 0UL), stop).ConfigureAwait(false);
        if (outcome.Code != AckCode.Success)
        {
            log.Warn("{0} {1}: the host answered {2}: {3}", verb, host, Names.Of(outcome.Code), outcome.Results.Text(AttrType.Message) ?? "");
            return AdminReplies.Outcome(outcome, Guid.Empty, host);
        }
        var limit = Stopwatch.StartNew();
        while (inventory.Host(host) is { } now && now.Draining != draining && limit.Elapsed < 2 * inventory.Options.HeartbeatInterval)
            await Task.Delay(MarkPoll, stop).ConfigureAwait(false);
        log.Info("{0} {1}: host {2}", verb, host, draining ? "marked draining" : "draining mark cleared");
        return AdminReplies.Outcome(outcome, Guid.Empty, host);
    }

    private static readonly TimeSpan MarkPoll = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Drains <paramref name="host"/>: marks it, hands <paramref name="emit"/> its HOST PDU, then a VM PDU for each VM
    /// as its move starts and ends (or why it is not moved), and returns the RESULT that sums it up. Emits one PDU at a
    /// time. A client that went away does not stop the drain: the migrations it started are not abandoned halfway.
    /// </summary>
    public async Task<AdminResultPdu> DrainAsync(string host, int? parallel, string who, uint uid, Func<Pdu, ValueTask> emit, CancellationToken stop)
    {
        int width = parallel ?? defaultParallel;
        if (width is < 1 or > MaxParallel)
            return AdminReplies.Result(AckCode.Failure, $"parallel is {width}: a drain moves 1 to {MaxParallel} VMs at a time");
        if (!_running.TryAdd(host, who))
        {
            string by = _running.TryGetValue(host, out var other) ? other : "another client";
            return AdminReplies.Result(AckCode.Busy, $"host {host} is being drained already ({by}); `vmmctl host undrain {host}` ends that drain");
        }
        try
        {
            var marked = await MarkAsync(host, draining: true, stop).ConfigureAwait(false);
            if (marked.Code != AckCode.Success) return marked;
            Interlocked.Increment(ref Counters.Drains);
            var run = new Run(this, host, width, uid, emit);
            return await run.ExecuteAsync(stop).ConfigureAwait(false);
        }
        finally
        {
            _running.TryRemove(host, out _);
        }
    }

    /// <summary>Whether a VM in <paramref name="power"/> moves live: it has a running emulator (paused ones too).</summary>
    internal static bool Movable(PowerState power) => power is PowerState.Running or PowerState.Blocked or PowerState.Paused;

    /// <summary>One drain of one host: its tallies, the room its moves hold on destinations, and the order of its PDUs.</summary>
    private sealed class Run(Drainer owner, string host, int width, uint uid, Func<Pdu, ValueTask> emit)
    {
        private readonly SemaphoreSlim _emitGate = new(1, 1);
        private readonly Lock _gate = new();
        private readonly Dictionary<string, (uint Vcpus, ulong MemoryKib)> _held = new(StringComparer.Ordinal);
        private readonly int[] _tally = new int[7];
        private readonly Stopwatch _took = Stopwatch.StartNew();

        private FleetInventory Inventory => owner.Inventory;

        public async Task<AdminResultPdu> ExecuteAsync(CancellationToken stop)
        {
            if (Inventory.Host(host) is { } view) await EmitAsync(AdminReplies.Host(view)).ConfigureAwait(false);
            var vms = Inventory.Vms(host).ToList();
            var movable = new List<VmView>();
            foreach (var vm in vms)
            {
                if (vm.Unknown) await StepAsync(vm, host, DrainOutcome.Failed, null, Unknown(vm), null, null).ConfigureAwait(false);
                else if (Movable(vm.ReportedPower)) movable.Add(vm);
                else await StepAsync(vm, host, DrainOutcome.NotRunning, null, NotRunning(vm), null, null).ConfigureAwait(false);
            }
            // Largest first: the VMs hardest to place get the most room.
            movable.Sort(static (a, b) => b.MemoryKib.CompareTo(a.MemoryKib) is var c && c != 0 ? c : string.CompareOrdinal(a.Name, b.Name));
            owner.Log.Info("drain {0}: {1} VMs, {2} to move live, {3} at a time", host, vms.Count, movable.Count, width);

            using var slots = new SemaphoreSlim(width, width);
            var moves = new List<Task>();
            try
            {
                for (int i = 0; i < movable.Count; i++)
                {
                    await slots.WaitAsync(stop).ConfigureAwait(false);
                    if (Inventory.Host(host) is not { Draining: true })
                    {
                        slots.Release();
                        for (int j = i; j < movable.Count; j++)
                            await StepAsync(movable[j], host, DrainOutcome.Undrained, null,
                                $"{movable[j].Name} not moved: host {host} was undrained during the drain", null, null).ConfigureAwait(false);
                        break;
                    }
                    var started = await StartAsync(movable[i]).ConfigureAwait(false);
                    if (started is not { } move)
                    {
                        slots.Release();
                        continue;
                    }
                    moves.Add(MoveAsync(movable[i], move.Dest, move.Vcpus, move.MemoryKib, slots, stop));
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            await Task.WhenAll(moves).ConfigureAwait(false);
            return Summary(stop.IsCancellationRequested);
        }

        /// <summary>Checks the VM is still here and running, places it, and says its move starts; null when it does not move.</summary>
        private async Task<(string Dest, uint Vcpus, ulong MemoryKib)?> StartAsync(VmView planned)
        {
            var vm = Inventory.VmsWithUuid(planned.Uuid).Find(v => v.Host == host);
            if (vm is null)
            {
                await StepAsync(planned, host, DrainOutcome.Gone, null, $"{planned.Name} left host {host} during the drain", null, null).ConfigureAwait(false);
                return null;
            }
            if (vm.Unknown)
            {
                await StepAsync(vm, host, DrainOutcome.Failed, null, Unknown(vm), null, null).ConfigureAwait(false);
                return null;
            }
            if (!Movable(vm.ReportedPower))
            {
                await StepAsync(vm, host, DrainOutcome.NotRunning, null, NotRunning(vm), null, null).ConfigureAwait(false);
                return null;
            }
            uint vcpus = vm.Vcpus;
            ulong memory = vm.MemoryKib;
            PlacementDecision decision;
            lock (_gate)
            {
                decision = owner.Placer.Choose(Inventory.Hosts(), vcpus, memory, Held, except: host, ha: (vm.Flags & VmFlags.Ha) != 0);
                if (decision.Placed) Hold(decision.Host!, (int)vcpus, (long)memory);
            }
            if (!decision.Placed)
            {
                await StepAsync(vm, host, DrainOutcome.NoRoom, null, $"{vm.Name} not moved: {decision.Message}", null, null).ConfigureAwait(false);
                return null;
            }
            await StepAsync(vm, host, DrainOutcome.Moving, decision.Host, null, null, null).ConfigureAwait(false);
            return (decision.Host!, vcpus, memory);
        }

        private async Task MoveAsync(VmView vm, string dest, uint vcpus, ulong memory, SemaphoreSlim slots, CancellationToken stop)
        {
            // Yield first: the caller goes on to the next VM while this one's request is sent.
            await Task.Yield();
            var took = Stopwatch.StartNew();
            try
            {
                var submit = new AdminSubmitPdu
                {
                    Code = RequestCode.Migrate,
                    Parameters = new AttrList().Add(AttrType.Host, host).Add(AttrType.Ref, vm.Uuid.ToString()).Add(AttrType.DestHost, dest),
                };
                var result = await owner.Submits.HandleAsync(submit, uid, stop).ConfigureAwait(false);
                if (result.Code == AckCode.Success)
                {
                    var there = Inventory.VmsWithUuid(vm.Uuid).Find(v => v.Host == dest) ?? vm with { Host = dest };
                    await StepAsync(there, dest, DrainOutcome.Moved, dest, null, result.Code, took.Elapsed).ConfigureAwait(false);
                }
                else
                {
                    string why = result.Attributes.Text(AttrType.Message) ?? Names.Of(result.Code);
                    await StepAsync(vm, host, DrainOutcome.Failed, dest, $"{vm.Name} not moved to {dest}: {Names.Of(result.Code)}: {why}", result.Code, took.Elapsed)
                        .ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The controller stops: the migration may still complete on the hosts; the next STATE shows where the VM is.
            }
            finally
            {
                lock (_gate) Hold(dest, -(int)vcpus, -(long)memory);
                slots.Release();
            }
        }

        // Room the moves in flight hold on their destinations, until the destination reports the VM (settlement).
        private (uint Vcpus, ulong MemoryKib) Held(string dest) => _held.GetValueOrDefault(dest);

        // Under _gate.
        private void Hold(string dest, int vcpus, long memory)
        {
            var (v, m) = _held.GetValueOrDefault(dest);
            (v, m) = ((uint)(v + vcpus), (ulong)((long)m + memory));
            if (v == 0 && m == 0) _held.Remove(dest);
            else _held[dest] = (v, m);
        }

        private static string NotRunning(VmView vm) =>
            $"{vm.Name} not moved: it is {Names.Of(vm.ReportedPower)}, and only a running VM moves live; it stays defined on its host";

        private string Unknown(VmView vm) =>
            $"{vm.Name} not moved: its state is unknown (host {host} is not up, or its hypervisor is unreachable)";

        /// <summary>Logs one VM's step, counts it, and hands its VM PDU on (one at a time).</summary>
        private async Task StepAsync(VmView vm, string at, DrainOutcome outcome, string? dest, string? message, AckCode? ack, TimeSpan? took)
        {
            lock (_gate) _tally[(int)outcome]++;
            if (outcome == DrainOutcome.Moved) Interlocked.Increment(ref owner.Counters.Moved);
            else if (outcome != DrainOutcome.Moving) Interlocked.Increment(ref owner.Counters.NotMoved);
            string line = outcome switch
            {
                DrainOutcome.Moving => $"drain {host}: moving {vm.Name} ({vm.Uuid}) to {dest}",
                DrainOutcome.Moved => $"drain {host}: {vm.Name} ({vm.Uuid}) moved to {dest} in {took!.Value.TotalSeconds:0.0} s",
                _ => $"drain {host}: {message}",
            };
            if (outcome is DrainOutcome.Moving or DrainOutcome.Moved) owner.Log.Info(line);
            else owner.Log.Warn(line);
            // The history has each step, the migrations themselves as requests of the drain's caller (spec §7.7).
            Inventory.Events.Record(new Event(EventKind.Decision, at, vm.Uuid, vm.Name, Uid: uid, Text: line));
            var pdu = Vm(vm with { Host = at }, outcome, dest, message, ack, took);
            await _emitGate.WaitAsync().ConfigureAwait(false);
            try
            {
                await emit(pdu).ConfigureAwait(false);
            }
            finally
            {
                _emitGate.Release();
            }
        }

        private Task EmitAsync(Pdu pdu) => emit(pdu).AsTask();

        /// <summary>The VM PDU of a step (spec §7.5): message, duration-us, dest-host, age-ms, last-ack, last-code, drain-outcome.</summary>
        private static AdminVmPdu Vm(VmView vm, DrainOutcome outcome, string? dest, string? message, AckCode? ack, TimeSpan? took)
        {
            var attrs = new AttrList();
            if (message is not null) attrs.AddMessage(message);
            if (took is { } t) attrs.Add(AttrType.DurationUs, (ulong)(t.Ticks / 10));
            if (dest is not null) attrs.Add(AttrType.DestHost, dest);
            attrs.Add(AttrType.AgeMs, (ulong)Math.Clamp(vm.AgeMs, 0, uint.MaxValue));
            if (ack is { } code)
            {
                attrs.Add(AttrType.LastAck, (byte)code);
                attrs.Add(AttrType.LastCode, (byte)RequestCode.Migrate);
            }
            attrs.Add(AttrType.DrainOutcome, (byte)outcome);
            return new AdminVmPdu { Host = vm.Host, Vm = vm.ToState(), Attributes = attrs };
        }

        /// <summary>The RESULT of the drain: success when no VM that was running is left on the host.</summary>
        private AdminResultPdu Summary(bool stopped)
        {
            int moved, notRunning, noRoom, failed, undrained, gone;
            lock (_gate)
                (moved, notRunning, noRoom, failed, undrained, gone) = (_tally[(int)DrainOutcome.Moved], _tally[(int)DrainOutcome.NotRunning],
                    _tally[(int)DrainOutcome.NoRoom], _tally[(int)DrainOutcome.Failed], _tally[(int)DrainOutcome.Undrained], _tally[(int)DrainOutcome.Gone]);
            int left = noRoom + failed + undrained;
            var parts = new List<string> { $"{moved} moved" };
            if (left > 0)
            {
                var why = new List<string>();
                if (noRoom > 0) why.Add($"{noRoom} no room");
                if (failed > 0) why.Add($"{failed} failed");
                if (undrained > 0) why.Add($"{undrained} undrained");
                parts.Add($"{left} still running here ({string.Join(", ", why)})");
            }
            if (notRunning > 0) parts.Add($"{notRunning} not running (stay)");
            if (gone > 0) parts.Add($"{gone} left by other means");
            string tally = string.Join(", ", parts);
            string took = $"{_took.Elapsed.TotalSeconds:0.0} s";
            AckCode code;
            string message;
            if (stopped)
            {
                code = AckCode.Timeout;
                message = $"the controller stopped during the drain of {host}: {tally}; migrations in flight may still complete; the host stays marked draining";
            }
            else if (left == 0)
            {
                code = AckCode.Success;
                message = $"host {host} drained in {took}: {tally}; it stays marked draining until `vmmctl host undrain {host}`";
            }
            else
            {
                code = undrained == 0 && failed == 0 ? AckCode.Unavailable : AckCode.Failure;
                message = $"host {host} not drained ({took}): {tally}; it stays marked draining";
            }
            owner.Log.Info("drain {0}: {1}", host, message);
            return AdminReplies.Result(code, message, host: host);
        }
    }
}
