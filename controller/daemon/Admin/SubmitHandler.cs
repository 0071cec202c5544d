// SUBMIT (spec §7.4): the controller resolves what the operator named (the VM by name or uuid, the host
// for an add or placement, the destination of a migration), then hands the host request to the
// dispatcher and turns its outcome into one RESULT, sent once the inventory shows what a success did
// (Settlement: read-your-writes for the next vmmctl command).
using System.Diagnostics;
using NLog;
using Vmm.Controller.Events;
using Vmm.Controller.Inventory;
using Vmm.Controller.Placement;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Controller.Admin;

internal sealed class SubmitHandler(FleetInventory inventory, IDispatcher dispatcher, Placer placer, Logger log)
{
    private readonly Reservations _reservations = new();
    private readonly ResendHandler _resends = new(inventory, dispatcher, log);

    /// <summary>Creates in flight (each holds its name and placed capacity until its RESULT).</summary>
    public int CreatesInFlight => _reservations.Count;

    /// <summary>vCPUs placement assumes for an add without vcpus.</summary>
    public const uint DefaultVcpus = 1;

    /// <summary>Memory placement assumes for an add without memory: hostd's default (spec §8.1), 512 MiB.</summary>
    public const ulong DefaultMemoryKib = 524288;

    /// <summary>
    /// Handles one SUBMIT of <paramref name="uid"/> (the admin caller; <see cref="EventLog.Controller"/> for the
    /// controller's own) and records it in the event history with its outcome and duration (spec §7.7). Never throws
    /// for anything but cancellation of <paramref name="stop"/>.
    /// </summary>
    public async Task<AdminResultPdu> HandleAsync(AdminSubmitPdu submit, uint uid, CancellationToken stop)
    {
        long started = Stopwatch.GetTimestamp();
        var result = await HandleCoreAsync(submit, stop).ConfigureAwait(false);
        var p = submit.Parameters;
        string? reference = p.Text(AttrType.Ref);
        string? name = p.Text(AttrType.Name) ?? (reference is not null && !Guid.TryParse(reference, out _) ? reference : null);
        inventory.Events.Record(new Event(EventKind.Request, result.Attributes.Text(AttrType.Host) ?? p.Text(AttrType.Host), result.Vm, name,
            (byte)submit.Code, result.Code, uid, (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds, result.RequestId,
            result.Attributes.Text(AttrType.Message)));
        return result;
    }

    private async Task<AdminResultPdu> HandleCoreAsync(AdminSubmitPdu submit, CancellationToken stop)
    {
        if (!Enum.IsDefined(submit.Code))
            return AdminReplies.Result(AckCode.UnknownRequest, $"request code {(byte)submit.Code} is not known to this controller");
        // The lease is the controller's own business with each host (spec §15): an operator's renewal would extend a
        // lease the controller does not count, and break its reckoning of when the host fenced.
        if (submit.Code == RequestCode.Lease)
            return AdminReplies.Result(AckCode.Failure, "lease is renewed by the controller itself, never submitted: the controller counts every renewal it sends");

        // request-id: not a new request, but one this controller sent, sent again (spec §7.4).
        if (submit.Parameters.Number(AttrType.RequestId) is { } again) return await _resends.HandleAsync(submit, again, stop).ConfigureAwait(false);

        var p = submit.Parameters;
        // A new VM's name is checked against the whole fleet: not before every live host has been heard.
        if (submit.Code == RequestCode.Add) await inventory.AwaitStartAsync(stop).ConfigureAwait(false);
        AdminResultPdu? taken = null;
        using var reservation = submit.Code == RequestCode.Add ? HoldName(p, out taken) : null;
        if (taken is not null) return taken;
        // force on an add or a migrate: the host named may be draining (spec §7.4); hostd takes no force for either.
        bool force = submit.Flags.HasFlag(RequestFlags.Force);
        Route Find() => submit.Code switch
        {
            RequestCode.Add => RouteAdd(p, reservation!, force),
            RequestCode.Ping => RoutePing(p),
            // The draining mark is the controller's to set, with what a drain does around it (spec §7.4).
            RequestCode.Drain => Refuse(AckCode.Failure, "the draining mark is set by a drain QUERY and cleared by an undrain QUERY (vmmctl host drain|undrain), not by a SUBMIT"),
            _ => RouteVm(submit.Code, p, force),
        };
        var route = Find();
        if (route.Missed && await inventory.AwaitStartAsync(stop).ConfigureAwait(false)) route = Find();
        if (route.Refusal is { } refusal) return refusal;
        var target = route.Target!;

        var parameters = new AttrList();
        foreach (var a in p)
            if (a.Type is not (AttrType.Ref or AttrType.Host or AttrType.DestHost) && !(route.DestUri is not null && a.Type == AttrType.DestUri))
                parameters.Add(a);
        if (route.DestUri is not null) parameters.Add(AttrType.DestUri, route.DestUri);
        // The rule hostd applies too (spec §5.4), refused here before the request goes anywhere.
        if (RequestParameters.ForeignCritical(submit.Code, parameters) is { } foreign)
            return AdminReplies.Result(AckCode.Unsupported, foreign, vm: route.Vm, host: target.Name);

        DispatchResult outcome;
        using var settlement = Settlement.Begin(inventory, submit.Code, target.Name, route.Vm);
        try
        {
            outcome = await dispatcher.SendAsync(target, submit.Code, submit.Flags, route.Vm, parameters, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // The dispatcher promises not to throw for network or host failures; anything else is a bug worth a full log entry.
            log.Error(e, "dispatching {0} to host {1} failed", Names.Of(submit.Code), target.Name);
            return AdminReplies.Result(AckCode.Failure, $"the controller failed to send the request: {e.Message}", vm: route.Vm, host: target.Name);
        }

        var vm = outcome.Vm != Guid.Empty ? outcome.Vm : route.Vm;
        inventory.RecordRequest(vm, submit.Code, outcome.Code);
        if (outcome.Code == AckCode.Success && settlement is not null &&
            !await settlement.WaitAsync(vm, outcome.RequestId, 2 * inventory.Options.HeartbeatInterval, stop).ConfigureAwait(false))
            log.Debug("{0} {1} on {2}: the inventory did not show it within two heartbeats", Names.Of(submit.Code), vm, target.Name);
        var result = AdminReplies.Outcome(outcome, vm, target.Name);
        dispatcher.Recent?.Settle(outcome.RequestId, route.VmName ?? p.Text(AttrType.Name), result);
        return result;
    }

    /// <summary>
    /// add: a VM name is the fleet's, not a host's (spec §7.4): refused when a VM of that name is in the inventory or
    /// another create of it is in flight here, and held until this create's RESULT. While the inventory warms up, a
    /// name not found may still exist: unavailable.
    /// </summary>
    private Reservation? HoldName(AttrList p, out AdminResultPdu? refusal)
    {
        refusal = null;
        if (p.Text(AttrType.Name) is not { } name)
        {
            refusal = AdminReplies.Result(AckCode.Failure, "add needs name: the new VM's name");
            return null;
        }
        if (_reservations.TryHoldName(name) is not { } held)
        {
            refusal = AdminReplies.Result(AckCode.Failure, $"a VM named {name} is being created already (another create in flight): VM names are unique in the fleet");
            return null;
        }
        var found = inventory.Resolve(name);
        if (found.Outcome == ResolveOutcome.NotFound && inventory.WarmingUp() is not { } why) return held;
        held.Dispose();
        refusal = found.Outcome switch
        {
            ResolveOutcome.Found => AdminReplies.Result(AckCode.Failure,
                $"a VM named {name} exists already ({found.Location.Vm} on host {found.Location.Host}): VM names are unique in the fleet", vm: found.Location.Vm, host: found.Location.Host),
            ResolveOutcome.Ambiguous => AdminReplies.Result(AckCode.Failure, $"VMs named {name} exist already: {found.Message}"),
            _ => AdminReplies.Result(AckCode.Unavailable, $"cannot tell yet whether a VM named {name} exists: {inventory.WarmingUp()}; try again"),
        };
        return null;
    }

    /// <summary>add: on the host named, else on one placement picks; either way its capacity is held until the RESULT.</summary>
    private Route RouteAdd(AttrList p, Reservation reservation, bool force)
    {
        uint vcpus = (uint)(p.Number(AttrType.Vcpus) ?? DefaultVcpus);
        ulong memory = p.Number(AttrType.Memory) ?? DefaultMemoryKib;
        string host;
        if (p.Text(AttrType.Host) is { } named)
        {
            if (!force && inventory.Host(named) is { Draining: true })
                return Refuse(AckCode.Failure, $"host {named} is draining: a new VM goes there only with force (vmmctl vm create --host {named} --force), "
                    + $"or once it is undrained (vmmctl host undrain {named})");
            host = named;
        }
        else
        {
            var decision = placer.Choose(inventory.Hosts(), vcpus, memory, _reservations.HeldOn, ha: p.Number(AttrType.Ha) == 1);
            if (!decision.Placed) return Refuse(AckCode.Unavailable, decision.Message);
            log.Info("placement: {0}", decision.Message);
            host = decision.Host!;
        }
        var route = ToHost(host, Guid.Empty);
        if (route.Refusal is null) reservation.PlaceOn(host, vcpus, memory);
        return route;
    }

    /// <summary>ping: needs a host.</summary>
    private Route RoutePing(AttrList p) =>
        p.Text(AttrType.Host) is { } host ? ToHost(host, Guid.Empty) : Refuse(AckCode.Failure, "ping needs host: the host to ping");

    /// <summary>Every other request: the VM named by ref (on host, when given); migrate also resolves dest-host, which
    /// may be draining only with <paramref name="force"/>.</summary>
    private Route RouteVm(RequestCode code, AttrList p, bool force)
    {
        if (p.Text(AttrType.Ref) is not { } reference)
            return Refuse(AckCode.Failure, $"{Names.Of(code)} needs ref: the VM's name or uuid");
        var found = inventory.Resolve(reference, p.Text(AttrType.Host));
        switch (found.Outcome)
        {
            case ResolveOutcome.NotFound: return Missed(found.Message);
            case ResolveOutcome.Ambiguous: return Refuse(AckCode.Failure, found.Message);
        }
        var at = found.Location;
        if (at.HostState != HostState.Up)
            return Refuse(AckCode.Unavailable, $"host {at.Host} of VM {at.Name} is {Names.Of(at.HostState)}: the request cannot reach it; try again once it reports");
        var route = ToHost(at.Host, at.Vm) with { VmName = at.Name };
        if (code != RequestCode.Migrate || route.Refusal is not null) return route;

        if (p.Text(AttrType.DestHost) is not { } dest)
            return p.Text(AttrType.DestUri) is not null ? route : Refuse(AckCode.Failure, "migrate needs dest-host: the host to migrate to");
        if (dest == at.Host) return Refuse(AckCode.Failure, $"VM {at.Name} is already on host {dest}");
        if (inventory.Host(dest) is not { } d) return Missed($"no host named {dest}");
        if (d.State != HostState.Up) return Refuse(AckCode.Unavailable, $"destination host {dest} is {Names.Of(d.State)}");
        if ((d.Status & HostStatus.Fenced) != 0 && inventory.VmsWithUuid(at.Vm).Exists(v => (v.Flags & VmFlags.Ha) != 0))
            return Refuse(AckCode.Unavailable, $"destination host {dest} says fenced (its lease lapsed): HA VM {at.Name} would be fenced there at once; "
                + "try again once a controller's renewal reaches it");
        if (d.Draining && !force)
            return Refuse(AckCode.Failure, $"destination host {dest} is draining: a VM moves there only with force (vmmctl vm migrate {at.Name} --to {dest} --force), "
                + $"or once it is undrained (vmmctl host undrain {dest})");
        if (d.Facts.MigrationUri is not { } uri)
            return Refuse(AckCode.Failure, $"host {dest} reports no migration-uri; give dest-uri instead");
        return route with { DestUri = uri };
    }

    private Route ToHost(string host, Guid vm)
    {
        if (inventory.Host(host) is not { } h) return Missed($"no host named {host}");
        if (h.State != HostState.Up || !inventory.TryGetTarget(host, out var target))
            return Refuse(AckCode.Unavailable, $"host {host} is {Names.Of(h.State)}: the request cannot reach it; try again once it reports");
        return new Route(target, vm, null, null);
    }

    private static Route Refuse(AckCode code, string message) => new(null, Guid.Empty, null, AdminReplies.Result(code, message));

    /// <summary>A lookup that found nothing: not-found, or unavailable while the inventory warms up (spec §7.4).</summary>
    private Route Missed(string message)
    {
        var (code, text) = inventory.Miss(message);
        return Refuse(code, text) with { Missed = true };
    }

    /// <summary>Where a request goes, or the RESULT that refuses it (<see cref="Missed"/>: because a lookup found nothing).</summary>
    private readonly record struct Route(HostTarget? Target, Guid Vm, string? DestUri, AdminResultPdu? Refusal, bool Missed = false, string? VmName = null);
}
