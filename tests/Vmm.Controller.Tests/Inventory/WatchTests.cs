using System.Threading.Channels;
using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>Every change the inventory applies reaches watchers, and a slow watcher never stalls ingest.</summary>
public sealed class WatchTests
{
    private static List<InventoryChange> Drain(Watcher w)
    {
        var list = new List<InventoryChange>();
        while (w.TryRead(out var c)) list.Add(c);
        return list;
    }

    [Fact]
    public void Added_changed_removed_and_unchanged_VMs()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        using var w = fleet.Inventory.Watchers.Subscribe(1 << 20);
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2)]));
        var first = Drain(w);
        Assert.Contains(first, c => c is HostChange { View.State: HostState.Up });
        Assert.Equal(2, first.OfType<VmChange>().Count());

        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2)]));
        Assert.Empty(Drain(w)); // a heartbeat that changes nothing says nothing

        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1, PowerState.Paused)]));
        var changes = Drain(w).Cast<VmChange>().ToList();
        Assert.Equal(2, changes.Count);
        Assert.Contains(changes, c => c.View.Uuid == Vms.Uuid(1) && c.View.ReportedPower == PowerState.Paused);
        var removed = Assert.Single(changes, c => c.View.Removed);
        Assert.Equal(Vms.Uuid(2), removed.View.Uuid);
        Assert.True(removed.View.ToState().Flags.HasFlag(VmFlags.Tombstone));
    }

    [Fact]
    public void Host_down_turns_its_VMs_unknown_for_watchers_and_back()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        using var w = fleet.Inventory.Watchers.Subscribe(1 << 20);
        fleet.Silence(3);
        fleet.Inventory.Sweep();
        var down = Drain(w);
        Assert.Contains(down, c => c is HostChange { View.State: HostState.Down });
        Assert.Contains(down, c => c is VmChange { View.Unknown: true });

        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        var up = Drain(w);
        Assert.Contains(up, c => c is HostChange { View.State: HostState.Up });
        Assert.Contains(up, c => c is VmChange { View.Unknown: false });
    }

    [Fact]
    public void A_watcher_that_falls_behind_is_dropped_and_ingest_goes_on()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        var slow = fleet.Inventory.Watchers.Subscribe(4 * 400);
        using var fine = fleet.Inventory.Watchers.Subscribe(1 << 20);
        for (int i = 0; i < 20; i++)
            Assert.Equal(DropReason.None, fleet.Send(hv, hv.Event(Vms.Vm(1, i % 2 == 0 ? PowerState.Paused : PowerState.Running))));

                Assert.True(slow.Completion.IsCompleted);
        Assert.IsType<WatcherOverflowException>(slow.Completion.Exception?.InnerException);
        Assert.Equal(21, Drain(fine).Count); // host up, then 20 changes
    }

    [Fact]
    public void Filters_select_a_host_or_a_VM()
    {
        var fleet = new Fleet();
        var a = fleet.Host("hv-a");
        var b = fleet.Host("hv-b");
        using var onB = fleet.Inventory.Watchers.Subscribe(1 << 20, host: "hv-b");
        using var vm3 = fleet.Inventory.Watchers.Subscribe(1 << 20, reference: "vm-3");
        fleet.Send(a, a.Event(Vms.Vm(1), Vms.Vm(3)));
        fleet.Send(b, b.Event(Vms.Vm(2)));
        Assert.All(Drain(onB), c => Assert.Equal("hv-b", c.Host));
        Assert.Equal([Vms.Uuid(3)], Drain(vm3).OfType<VmChange>().Select(c => c.View.Uuid));
    }
}
