using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>A restarted controller holds nothing and is whole again from the hosts' next complete reports
/// (spec §6.6), whatever the hosts' sequence numbers have reached.</summary>
public sealed class RestartTests
{
    [Fact]
    public void A_fresh_inventory_is_rebuilt_from_the_next_complete_reports()
    {
        var before = new Fleet();
        var hosts = Enumerable.Range(0, 3).Select(i => before.Host($"hv-{i}")).ToArray();
        var vms = hosts.Select((h, i) => Enumerable.Range(i * 10 + 1, 4).Select(n => Vms.Vm(n)).ToArray()).ToArray();
        for (int i = 0; i < hosts.Length; i++)
        {
            hosts[i].Sequence = 5000 + (ulong)i; // hosts long up
            before.Send(hosts[i], hosts[i].CompleteReport(vms[i], perPage: 2));
        }

        var after = new Fleet(); // the controller restarted: same hosts, same boots, nothing stored
        // A heartbeat interval later, one report per host arrives (in the middle of a report for hv-1).
        var partial = hosts[1].CompleteReport(vms[1], perPage: 2);
        after.Send(hosts[1], partial[1]);
        for (int i = 0; i < hosts.Length; i++)
            after.Send(hosts[i], hosts[i].CompleteReport(vms[i], perPage: 2));

        Assert.Equal(before.Inventory.Hosts().Select(h => (h.Name, h.BootId, h.State)), after.Inventory.Hosts().Select(h => (h.Name, h.BootId, h.State)));
        Assert.Equal(before.VmIds(), after.VmIds());
        Assert.All(after.Inventory.Vms(), v => Assert.False(v.Unknown));
        Assert.Equal(
            before.Inventory.Vms().Select(v => v.ToState()),
            after.Inventory.Vms().Select(v => v.ToState()));
    }

    [Fact]
    public void A_restarted_controller_accepts_the_first_boot_it_hears()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        hv.Sequence = 123_456;
        Assert.Equal(DropReason.None, fleet.Send(hv, hv.Event(Vms.Vm(1))));
        Assert.Equal(hv.Boot, fleet.HostView("hv-01").BootId);
    }
}
