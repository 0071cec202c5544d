using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>Host states (spec §8.8) and what they do to the VMs shown: absent is not off.</summary>
public sealed class HostStateTests
{
    [Fact]
    public void A_silent_host_goes_down_after_the_threshold_and_its_VMs_turn_unknown_not_off()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2, PowerState.Off)]));
        fleet.Silence(2);
        Assert.Equal(HostState.Up, fleet.HostView("hv-01").State);
        fleet.Silence(1);
        Assert.Equal(HostState.Down, fleet.HostView("hv-01").State);

        foreach (var vm in fleet.Inventory.Vms())
        {
            Assert.True(vm.Unknown);
            var pdu = AdminReplies.Vm(vm);
            Assert.Equal(PowerState.Unknown, pdu.Vm.Power);
            Assert.Equal((ulong)vm.ReportedPower, pdu.Attributes.Number(AttrType.LastPower));
        }
        Assert.Equal(2, fleet.VmIds().Count); // never removed for silence
    }

    [Fact]
    public void The_census_counts_hosts_up_the_others_and_every_VM_held()
    {
        var fleet = new Fleet(new InventoryOptions { Pins = [new HostPin("hv-pinned", null)] });
        var a = fleet.Host("hv-01");
        var b = fleet.Host("hv-02");
        b.Address = System.Net.IPAddress.Parse("192.0.2.11");
        fleet.Send(a, a.CompleteReport([Vms.Vm(1), Vms.Vm(2, PowerState.Off)]));
        fleet.Send(b, b.CompleteReport([Vms.Vm(3)]));
        Assert.Equal((2, 1, 3), fleet.Inventory.Census()); // the pinned host, never heard, is not up

        fleet.Silence(2);
        fleet.Send(b, b.Event());
        fleet.Silence(1);
        Assert.Equal((1, 2, 3), fleet.Inventory.Census()); // hv-01 is down; its VMs are still held
        Assert.Equal(HostState.Down, fleet.HostView("hv-01").State);
    }

    [Fact]
    public void A_down_host_comes_back_up_with_its_next_datagram()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        fleet.Silence(5);
        Assert.Equal(HostState.Down, fleet.HostView("hv-01").State);
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        Assert.Equal(HostState.Up, fleet.HostView("hv-01").State);
        Assert.False(fleet.Vm(1)!.Unknown);
    }

    [Fact]
    public void Down_threshold_is_configurable()
    {
        var fleet = new Fleet(new InventoryOptions { HeartbeatInterval = TimeSpan.FromSeconds(2), DownAfter = 5 });
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.Event());
        fleet.Clock.Advance(TimeSpan.FromSeconds(9.9));
        Assert.Equal(HostState.Up, fleet.HostView("hv-01").State);
        fleet.Clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(HostState.Down, fleet.HostView("hv-01").State);
    }

    [Fact]
    public void An_unreachable_hypervisor_shows_the_host_unreachable_and_keeps_its_VMs_unknown()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        fleet.Send(hv, hv.Unreachable());
        // An unreachable host's report has no records; it must not remove anything.
        fleet.Send(hv, hv.Build(hv.ReportNumber + 1, 0, 1, HostStatus.Unreachable, null, []));
        Assert.Equal(HostState.Unreachable, fleet.HostView("hv-01").State);
        Assert.True(fleet.Vm(1)!.Unknown);

        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        Assert.Equal(HostState.Up, fleet.HostView("hv-01").State);
        Assert.False(fleet.Vm(1)!.Unknown);
    }

    [Fact]
    public void A_pinned_host_is_listed_unknown_until_heard_and_requests_go_to_its_pinned_endpoint()
    {
        var pinned = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("198.51.100.7"), 7501);
        var fleet = new Fleet(new InventoryOptions { Pins = [new HostPin("hv-09", pinned)] });
        var h = fleet.HostView("hv-09");
        Assert.Equal(HostState.Unknown, h.State);
        Assert.False(fleet.Inventory.TryGetTarget("hv-09", out _));

        var hv = fleet.Host("hv-09");
        fleet.Send(hv, hv.Event());
        Assert.True(fleet.Inventory.TryGetTarget("hv-09", out var target));
        Assert.Equal(pinned, target.Endpoint);
        Assert.Equal(hv.Boot, target.BootId);
    }

    [Fact]
    public void A_host_target_is_the_address_of_its_datagrams_and_its_port_fact()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        hv.Address = System.Net.IPAddress.Parse("2001:db8::5");
        hv.Facts = new AttrList().Add(AttrType.Port, 7999).Add(AttrType.MigrationUri, "qemu+ssh://hv-01/system");
        fleet.Send(hv, hv.CompleteReport([]));
        Assert.True(fleet.Inventory.TryGetTarget("hv-01", out var target));
        Assert.Equal(new System.Net.IPEndPoint(hv.Address, 7999), target.Endpoint);
        Assert.Equal("qemu+ssh://hv-01/system", fleet.HostView("hv-01").Facts.MigrationUri);
        Assert.Equal("2001:db8::5", fleet.HostView("hv-01").Address!.ToString());
    }

    [Fact]
    public void Facts_override_one_by_one()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([]));
        fleet.Send(hv, hv.Build(0, 0, 0, HostStatus.None, new AttrList().Add(AttrType.MemoryFree, 5), []));
        var facts = fleet.HostView("hv-01").Facts;
        Assert.Equal(5UL, facts.MemoryFreeKib);
        Assert.Equal(16U, facts.Cpus);
    }
}
