using System.Net;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

/// <summary>
/// What the inventory holds is bounded: hosts (max-hosts), VMs per host (max-vms-per-host), and hosts silent
/// for forget-after are forgotten; datagrams that do not authenticate create nothing and are charged to no host.
/// </summary>
public sealed class HostBoundsTests
{
    private static readonly DropReason[] Unauthenticated = [DropReason.WrongKey, DropReason.BadTag];

    [Fact]
    public void Forged_datagrams_naming_hosts_create_none_and_charge_no_host()
    {
        var fleet = new Fleet();
        var real = fleet.Host("hv-01");
        fleet.Send(real, real.CompleteReport([Vms.Vm(1)]));

        var forger = new HostSim("hv-01", new ClusterKey(Enumerable.Repeat((byte)7, 32).ToArray())) { Address = real.Address };
        for (int i = 0; i < 100; i++)
        {
            // Signed with another key, from the real host's address, under its name and under new names. The key id
            // is one byte: a name whose derived key shares the forger's id (1 in 255) is refused bad-tag instead.
            Assert.Contains(fleet.Send(forger, forger.Event(Vms.Vm(1, PowerState.Off))), Unauthenticated);
            var junk = new HostSim($"junk-{i}", forger.Key) { Address = real.Address };
            Assert.Contains(fleet.Send(junk, junk.Event(Vms.Vm(2))), Unauthenticated);
        }

        Assert.Equal(["hv-01"], fleet.Inventory.Hosts().Select(h => h.Name));
        Assert.Equal(0UL, fleet.HostView("hv-01").Dropped);
        Assert.Equal(200, fleet.Inventory.Counters.Unattributed);
        Assert.Equal(PowerState.Running, fleet.Vm(1)!.ReportedPower);
    }

    [Fact]
    public void Hosts_beyond_max_hosts_are_dropped_and_counted()
    {
        var fleet = new Fleet(new InventoryOptions { MaxHosts = 3 });
        for (int i = 0; i < 5; i++)
        {
            var hv = fleet.Host($"hv-{i}");
            Assert.Equal(i < 3 ? DropReason.None : DropReason.HostLimit, fleet.Send(hv, hv.Event(Vms.Vm(i))));
        }
        Assert.Equal(3, fleet.Inventory.Hosts().Count);
        Assert.Equal(2, fleet.Inventory.Counters.Dropped(DropReason.HostLimit));
    }

    [Fact]
    public void VMs_beyond_max_vms_per_host_are_ignored_and_counted()
    {
        var fleet = new Fleet(new InventoryOptions { MaxVmsPerHost = 4 });
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport(Enumerable.Range(1, 6).Select(n => Vms.Vm(n)).ToList()));
        Assert.Equal(4, fleet.Inventory.Vms().Count());
        Assert.Equal(2, fleet.Inventory.Counters.VmsOverLimit);
    }

    [Fact]
    public void A_host_silent_for_forget_after_is_forgotten_with_its_VMs_and_returns_as_new()
    {
        var pinned = new HostPin("hv-pinned", new IPEndPoint(IPAddress.Loopback, 7401));
        var fleet = new Fleet(new InventoryOptions { ForgetAfter = TimeSpan.FromMinutes(10), Pins = [pinned] });
        var hv = fleet.Host("hv-01");
        var other = fleet.Host("hv-02");
        var pin = fleet.Host("hv-pinned");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2)]));
        fleet.Send(pin, pin.CompleteReport([Vms.Vm(3)]));
        using var watcher = fleet.Inventory.Watchers.Subscribe(1 << 20, host: "hv-01");

        fleet.Clock.Advance(TimeSpan.FromMinutes(9));
        fleet.Send(other, other.Event(Vms.Vm(4))); // heard 9 minutes in: not silent long enough at 10
        fleet.Inventory.Sweep();
        Assert.Equal(3, fleet.Inventory.Hosts().Count); // down, not forgotten

        fleet.Clock.Advance(TimeSpan.FromMinutes(1));
        fleet.Inventory.Sweep();
        Assert.Equal(["hv-02", "hv-pinned"], fleet.Inventory.Hosts().Select(h => h.Name));
        Assert.Equal([Vms.Uuid(3), Vms.Uuid(4)], fleet.VmIds());
        Assert.Equal(1, fleet.Inventory.Counters.Forgotten);
        var gone = new List<VmView>();
        while (watcher.TryRead(out var c))
            if (c is VmChange { View.Removed: true } v) gone.Add(v.View);
        Assert.Equal([Vms.Uuid(1), Vms.Uuid(2)], gone.Select(v => v.Uuid).Order());

        // Its next datagram makes it anew.
        fleet.Send(hv, hv.Event(Vms.Vm(1)));
        Assert.Equal(HostState.Up, fleet.HostView("hv-01").State);
        Assert.Equal([Vms.Uuid(1)], fleet.VmIds("hv-01"));
    }

    [Fact]
    public void Forget_by_request_forgets_at_once_but_never_a_pinned_host()
    {
        var fleet = new Fleet(new InventoryOptions { Pins = [new HostPin("hv-pinned")] });
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));

        Assert.Equal(ForgetOutcome.Forgotten, fleet.Inventory.Forget("hv-01"));
        Assert.Equal(ForgetOutcome.NotFound, fleet.Inventory.Forget("hv-01"));
        Assert.Equal(ForgetOutcome.Pinned, fleet.Inventory.Forget("hv-pinned"));
        Assert.Equal(["hv-pinned"], fleet.Inventory.Hosts().Select(h => h.Name));
        Assert.Empty(fleet.Inventory.Vms());
    }

    [Fact]
    public async Task Forget_host_query_on_the_admin_socket()
    {
        await using var h = new AdminHarness();
        var hv = h.Fleet.Host("hv-01");
        h.Fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        using var c = h.Connect();

        c.Send(new AdminQueryPdu { What = QueryKind.ForgetHost, Filters = new AttrList().Add(AttrType.Host, "hv-01") });
        Assert.Equal(AckCode.Success, (await c.ReplyAsync()).Result.Code);
        Assert.Empty(h.Fleet.Inventory.Hosts());

        c.Send(new AdminQueryPdu { What = QueryKind.ForgetHost, Filters = new AttrList().Add(AttrType.Host, "hv-01") });
        Assert.Equal(AckCode.NotFound, (await c.ReplyAsync()).Result.Code);
        c.Send(new AdminQueryPdu { What = QueryKind.ForgetHost });
        Assert.Equal(AckCode.Failure, (await c.ReplyAsync()).Result.Code);
    }
}
