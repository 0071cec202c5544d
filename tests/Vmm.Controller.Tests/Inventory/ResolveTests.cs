using Vmm.Protocol;

namespace Vmm.Controller.Tests;

public sealed class ResolveTests
{
    [Fact]
    public void Resolves_by_name_and_by_uuid()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1, name: "web-1"), Vms.Vm(2, name: "db-1")]));

        Assert.True(fleet.Inventory.TryResolve("db-1", out var byName));
        Assert.Equal(new VmLocation(Vms.Uuid(2), "db-1", "hv-01", HostState.Up), byName);
        Assert.True(fleet.Inventory.TryResolve(Vms.Uuid(1).ToString(), out var byUuid));
        Assert.Equal("web-1", byUuid.Name);
        Assert.Equal(ResolveOutcome.NotFound, fleet.Inventory.Resolve("nope").Outcome);
    }

    [Fact]
    public void A_name_on_two_hosts_is_ambiguous_unless_the_host_is_named()
    {
        var fleet = new Fleet();
        var a = fleet.Host("hv-a");
        var b = fleet.Host("hv-b");
        fleet.Send(a, a.CompleteReport([Vms.Vm(1, name: "web")]));
        fleet.Send(b, b.CompleteReport([Vms.Vm(2, name: "web")]));

        var r = fleet.Inventory.Resolve("web");
        Assert.Equal(ResolveOutcome.Ambiguous, r.Outcome);
        Assert.Contains("ambiguous", r.Message);
        Assert.Contains("hv-a", r.Message);
        Assert.Contains("hv-b", r.Message);
        Assert.False(fleet.Inventory.TryResolve("web", out _));

        var onB = fleet.Inventory.Resolve("web", "hv-b");
        Assert.True(onB.Found);
        Assert.Equal(Vms.Uuid(2), onB.Location.Vm);
    }

    [Fact]
    public void Last_request_and_ack_are_shown_with_the_VM_and_forgotten_with_it()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        fleet.Inventory.RecordRequest(Vms.Uuid(1), RequestCode.Stop, AckCode.Busy);
        var pdu = AdminReplies.Vm(fleet.Vm(1)!);
        Assert.Equal((ulong)RequestCode.Stop, pdu.Attributes.Number(AttrType.LastCode));
        Assert.Equal((ulong)AckCode.Busy, pdu.Attributes.Number(AttrType.LastAck));

        fleet.Send(hv, hv.Event(Vms.Tombstone(1)));
        fleet.Send(hv, hv.Event(Vms.Vm(1))); // defined again: a new VM as far as anyone knows
        Assert.Null(fleet.Vm(1)!.Last);
    }
}
