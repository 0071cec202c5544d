using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

/// <summary>The draining mark is the host's (spec §6.1): the inventory takes it from every datagram it accepts.</summary>
public sealed class DrainingMarkTests
{
    [Fact]
    public void The_mark_follows_the_hosts_datagrams_and_a_restarted_controller_learns_it_from_the_first()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        Assert.False(fleet.HostView("hv-01").Draining);
        Assert.Null(AdminReplies.Host(fleet.HostView("hv-01")).Attributes.Find(AttrType.Draining));

        hv.Marks = HostStatus.Draining;
        Assert.Equal(DropReason.None, fleet.Send(hv, hv.Event()));
        Assert.True(fleet.HostView("hv-01").Draining);
        Assert.Equal(1UL, AdminReplies.Host(fleet.HostView("hv-01")).Attributes.Number(AttrType.Draining));

        // A controller that restarts holds nothing: the host's next datagram, of any kind, carries the mark.
        var restarted = new Fleet();
        Assert.Equal(DropReason.None, restarted.Send(hv, hv.Event()));
        Assert.True(restarted.HostView("hv-01").Draining);

        hv.Marks = HostStatus.None;
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        Assert.False(fleet.HostView("hv-01").Draining);
    }

    [Fact]
    public void A_change_of_the_mark_is_shown_to_watchers_with_the_host()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        using var watcher = fleet.Inventory.Watchers.Subscribe(1 << 20, "hv-01");
        hv.Marks = HostStatus.Draining;
        Assert.Equal(DropReason.None, fleet.Send(hv, hv.Event()));
        Assert.True(watcher.TryRead(out var change));
        var host = Assert.IsType<HostChange>(change);
        Assert.True(host.View.Draining);
        Assert.False(watcher.TryRead(out _)); // its VMs did not change with it
    }

    [Fact]
    public void Placement_never_picks_a_draining_host_and_says_so_when_nothing_else_fits()
    {
        var fleet = new Fleet();
        var a = fleet.Host("hv-01");
        var b = fleet.Host("hv-02");
        b.Address = System.Net.IPAddress.Parse("192.0.2.11");
        b.Facts = new AttrList().Add(AttrType.Cpus, 64).Add(AttrType.MemoryTotal, 256UL << 20).Add(AttrType.MemoryFree, 200UL << 20)
            .Add(AttrType.Port, 7401).Add(AttrType.MigrationUri, "qemu+tcp://hv-02/system");
        b.Marks = HostStatus.Draining;
        fleet.Send(a, a.CompleteReport([]));
        fleet.Send(b, b.CompleteReport([]));

        Assert.Equal("hv-01", new Placer().Choose(fleet.Inventory.Hosts(), 2, 1 << 20).Host);
        var none = new Placer().Choose(fleet.Inventory.Hosts(), 2, 100UL << 20);
        Assert.False(none.Placed);
        Assert.EndsWith("(hv-02 draining)", none.Message);
    }

    [Fact]
    public void Placement_counts_memory_of_VMs_that_arrived_since_the_last_report()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        // 64 GiB, 32 GiB free as reported; then a 40 GiB VM arrives (a migration) before the next report.
        fleet.Send(hv, hv.CompleteReport([]));
        Assert.Equal(DropReason.None, fleet.Send(hv, hv.Event(Vms.Vm(1, memoryKib: 40UL << 20))));
        Assert.False(new Placer().Choose(fleet.Inventory.Hosts(), 1, 30UL << 20).Placed);
        Assert.True(new Placer().Choose(fleet.Inventory.Hosts(), 1, 20UL << 20).Placed);
    }
}
