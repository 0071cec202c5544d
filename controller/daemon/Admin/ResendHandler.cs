// SUBMIT with request-id (spec §7.4): send again a request this controller sent, not a new one. The operator
// whose request timed out (the outcome unknown) asks for the same request again by its id: its final RESULT if
// one is known (flagged replayed), else its signed bytes again to the same host, where hostd's request-id cache
// answers with the first ACK, or carries it out if it never arrived. Either way it is done at most once.
using NLog;
using Vmm.Controller.Dispatch;
using Vmm.Controller.Inventory;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Controller.Admin;

internal sealed class ResendHandler(FleetInventory inventory, IDispatcher dispatcher, Logger log)
{
    /// <summary>Answers a SUBMIT that names request <paramref name="id"/>; never throws for anything but cancellation.</summary>
    public async Task<AdminResultPdu> HandleAsync(AdminSubmitPdu submit, ulong id, CancellationToken stop)
    {
        var recent = dispatcher.Recent;
        if (recent?.Find(id) is not { } sent)
            return AdminReplies.Result(AckCode.NotFound,
                $"no request {Text(id)} among this controller's {recent?.Count ?? 0} recent requests (it keeps the last {recent?.Capacity ?? 0}; " +
                "a restarted controller keeps none): see what the VM is now (vmmctl vm show) before sending a new request");
        if (Mismatch(sent, submit) is { } why)
            return AdminReplies.Result(AckCode.Failure,
                $"request {Text(id)} was {Describe(sent)}: {why}; --request-id sends exactly that request again (leave it out for a new one)",
                requestId: id, vm: sent.Vm, host: sent.Host.Name);

        if (sent.Final is { } final)
        {
            log.Info("request {0:x16} {1} {2}: answered again with its first result ({3})", id, Names.Of(sent.Code), sent.Vm, Names.Of(final.Code));
            return final with { Attributes = WithFlag(final.Attributes, AckFlags.Replayed) };
        }
        DispatchResult outcome;
        using var settlement = Settlement.Begin(inventory, sent.Code, sent.Host.Name, sent.Vm);
        if (inventory.Host(sent.Host.Name) is { BootId: not 0 } now && now.BootId != sent.Host.BootId)
            outcome = Dispatcher.Restarted(sent, now.BootId);
        else
        {
            log.Info("request {0:x16} {1} {2}: sending it again to {3}", id, Names.Of(sent.Code), sent.Vm, sent.Host.Name);
            outcome = await dispatcher.ResendAsync(sent, stop).ConfigureAwait(false);
        }
        var vm = outcome.Vm != Guid.Empty ? outcome.Vm : sent.Vm;
        inventory.RecordRequest(vm, sent.Code, outcome.Code);
        if (outcome.Code == AckCode.Success && settlement is not null)
            await settlement.WaitAsync(vm, id, 2 * inventory.Options.HeartbeatInterval, stop).ConfigureAwait(false);
        var result = AdminReplies.Outcome(outcome, vm, sent.Host.Name);
        recent.Settle(id, null, result);
        return result;
    }

    /// <summary>Why <paramref name="submit"/> is not the request <paramref name="sent"/>, or null when it is.</summary>
    private string? Mismatch(RecentRequest sent, AdminSubmitPdu submit)
    {
        var p = submit.Parameters;
        if (submit.Code != sent.Code) return $"not {Names.Of(submit.Code)}";
        if (submit.Flags != sent.Flags) return $"sent with flags {Names.Of(sent.Flags)}, not {Names.Of(submit.Flags)}";
        if (p.Text(AttrType.Host) is { } host && sent.Code != RequestCode.Add && host != sent.Host.Name) return $"not for a VM on host {host}";
        if (sent.Code is not (RequestCode.Add or RequestCode.Ping) && !NamesVm(sent, p.Text(AttrType.Ref), p.Text(AttrType.Host)))
            return $"not for VM '{Validation.Shorten(p.Text(AttrType.Ref) ?? "")}'";
        if (!SameParameters(sent, p)) return "other parameters than these";
        return null;
    }

    /// <summary>Whether <paramref name="reference"/> names the request's VM: its uuid, its name then, or a VM of that name now.</summary>
    private bool NamesVm(RecentRequest sent, string? reference, string? host)
    {
        if (reference is null) return false;
        if (Guid.TryParse(reference, out var uuid)) return uuid == sent.Vm;
        if (reference == sent.VmName) return true;
        var found = inventory.Resolve(reference, host);
        return found.Outcome == ResolveOutcome.Found && found.Location.Vm == sent.Vm;
    }

    /// <summary>The request's own parameters against the submit's (how the VM and the host were named aside); a
    /// migrate's dest-host is compared by the migration-uri that host reports now.</summary>
    private bool SameParameters(RecentRequest sent, AttrList p)
    {
        var submitted = new AttrList();
        foreach (var a in p)
            if (a.Type is not (AttrType.Ref or AttrType.Host or AttrType.DestHost or AttrType.RequestId)
                && !(a.Type == AttrType.DestUri && p.Text(AttrType.DestHost) is not null))
                submitted.Add(a);
        var stored = new AttrList();
        foreach (var a in sent.Parameters)
            if (!(a.Type == AttrType.DestUri && p.Text(AttrType.DestHost) is { } dest && inventory.Host(dest)?.Facts.MigrationUri == a.Text))
                stored.Add(a);
        return submitted.Equals(stored);
    }

    private static AttrList WithFlag(AttrList attributes, AckFlags flag)
    {
        var flags = (AckFlags)(attributes.Number(AttrType.AckFlags) ?? 0) | flag;
        var copy = new AttrList();
        foreach (var a in attributes)
            if (a.Type != AttrType.AckFlags) copy.Add(a);
        return copy.Add(AttrType.AckFlags, (byte)flags);
    }

    private static string Describe(RecentRequest r) =>
        r.Code is RequestCode.Add or RequestCode.Ping ? $"{Names.Of(r.Code)} on host {r.Host.Name}" : $"{Names.Of(r.Code)} of {r.VmName ?? r.Vm.ToString()}";

    /// <summary>A request id as vmmctl shows it and the logs write it: origin:counter (spec §7.1).</summary>
    private static string Text(ulong id) => $"{(uint)(id >> 32):x8}:{(uint)id}";
}
