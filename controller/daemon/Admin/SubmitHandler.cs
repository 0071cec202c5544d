// SUBMIT (spec §7.4): the controller resolves what the operator named (the VM by name or uuid, the host
// for an add or placement, the destination of a migration), then hands the host request to the
// dispatcher and turns its outcome into one RESULT, sent once the inventory shows what a success did
// (Settlement: read-your-writes for the next vmmctl command).
using NLog;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Controller;

internal sealed class SubmitHandler(Inventory inventory, IDispatcher dispatcher, Placer placer, Logger log)
{
    /// <summary>vCPUs placement assumes for an add without vcpus.</summary>
    public const uint DefaultVcpus = 1;

    /// <summary>Memory placement assumes for an add without memory: hostd's default (spec §8.1), 512 MiB.</summary>
    public const ulong DefaultMemoryKib = 524288;

    /// <summary>Handles one SUBMIT; never throws for anything but cancellation of <paramref name="stop"/>.</summary>
    public async Task<AdminResultPdu> HandleAsync(AdminSubmitPdu submit, CancellationToken stop)
    {
        if (!Enum.IsDefined(submit.Code))
            return AdminReplies.Result(AckCode.UnknownRequest, $"request code {(byte)submit.Code} is not known to this controller");

        var p = submit.Parameters;
        var route = submit.Code switch
        {
            RequestCode.Add => RouteAdd(p),
            RequestCode.Ping => RoutePing(p),
            _ => RouteVm(submit.Code, p),
        };
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
        var attrs = new AttrList();
        foreach (var a in outcome.Results)
            if (a.Type is AttrType.Message or AttrType.ErrorCode or AttrType.SnapshotName) attrs.Add(a);
        attrs.Add(AttrType.Host, target.Name);
        return new AdminResultPdu { Code = outcome.Code, RequestId = outcome.RequestId, Vm = vm, Attributes = attrs };
    }

    /// <summary>add: on the host named, else on one placement picks.</summary>
    private Route RouteAdd(AttrList p)
    {
        if (p.Text(AttrType.Host) is { } host) return ToHost(host, Guid.Empty);
        uint vcpus = (uint)(p.Number(AttrType.Vcpus) ?? DefaultVcpus);
        ulong memory = p.Number(AttrType.Memory) ?? DefaultMemoryKib;
        var decision = placer.Choose(inventory.Hosts(), vcpus, memory);
        if (!decision.Placed) return Refuse(AckCode.Unavailable, decision.Message);
        log.Info("placement: {0}", decision.Message);
        return ToHost(decision.Host!, Guid.Empty);
    }

    /// <summary>ping: needs a host.</summary>
    private Route RoutePing(AttrList p) =>
        p.Text(AttrType.Host) is { } host ? ToHost(host, Guid.Empty) : Refuse(AckCode.Failure, "ping needs host: the host to ping");

    /// <summary>Every other request: the VM named by ref (on host, when given); migrate also resolves dest-host.</summary>
    private Route RouteVm(RequestCode code, AttrList p)
    {
        if (p.Text(AttrType.Ref) is not { } reference)
            return Refuse(AckCode.Failure, $"{Names.Of(code)} needs ref: the VM's name or uuid");
        var found = inventory.Resolve(reference, p.Text(AttrType.Host));
        switch (found.Outcome)
        {
            case ResolveOutcome.NotFound: return Refuse(AckCode.NotFound, found.Message);
            case ResolveOutcome.Ambiguous: return Refuse(AckCode.Failure, found.Message);
        }
        var at = found.Location;
        if (at.HostState != HostState.Up)
            return Refuse(AckCode.Unavailable, $"host {at.Host} of VM {at.Name} is {Names.Of(at.HostState)}: the request cannot reach it; try again once it reports");
        var route = ToHost(at.Host, at.Vm);
        if (code != RequestCode.Migrate || route.Refusal is not null) return route;

        if (p.Text(AttrType.DestHost) is not { } dest)
            return p.Text(AttrType.DestUri) is not null ? route : Refuse(AckCode.Failure, "migrate needs dest-host: the host to migrate to");
        if (dest == at.Host) return Refuse(AckCode.Failure, $"VM {at.Name} is already on host {dest}");
        if (inventory.Host(dest) is not { } d) return Refuse(AckCode.NotFound, $"no host named {dest}");
        if (d.State != HostState.Up) return Refuse(AckCode.Unavailable, $"destination host {dest} is {Names.Of(d.State)}");
        if (d.Facts.MigrationUri is not { } uri)
            return Refuse(AckCode.Failure, $"host {dest} reports no migration-uri; give dest-uri instead");
        return route with { DestUri = uri };
    }

    private Route ToHost(string host, Guid vm)
    {
        if (inventory.Host(host) is not { } h) return Refuse(AckCode.NotFound, $"no host named {host}");
        if (h.State != HostState.Up || !inventory.TryGetTarget(host, out var target))
            return Refuse(AckCode.Unavailable, $"host {host} is {Names.Of(h.State)}: the request cannot reach it; try again once it reports");
        return new Route(target, vm, null, null);
    }

    private static Route Refuse(AckCode code, string message) => new(null, Guid.Empty, null, AdminReplies.Result(code, message));

    /// <summary>Where a request goes, or the RESULT that refuses it.</summary>
    private readonly record struct Route(HostTarget? Target, Guid Vm, string? DestUri, AdminResultPdu? Refusal);
}
