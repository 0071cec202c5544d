using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>Spec §6.6: boot ids and sequences order datagrams; no clock is compared.</summary>
public sealed class OrderingTests
{
    [Fact]
    public void Duplicate_datagram_is_dropped_and_counted()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        var d = hv.Event(Vms.Vm(1));
        Assert.Equal(DropReason.None, fleet.Send(hv, d));
        Assert.Equal(DropReason.Duplicate, fleet.Send(hv, d));
        var host = fleet.HostView("hv-01");
        Assert.Equal(1UL, host.Accepted);
        Assert.Equal(1UL, host.Dropped);
        Assert.Equal(1, fleet.Inventory.Counters.Dropped(DropReason.Duplicate));
    }

    [Fact]
    public void Reordered_older_datagram_is_stale_and_does_not_override_newer_state()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        var older = hv.Event(Vms.Vm(1, PowerState.Running));
        var newer = hv.Event(Vms.Vm(1, PowerState.Paused));
        Assert.Equal(DropReason.None, fleet.Send(hv, newer));
        Assert.Equal(DropReason.Stale, fleet.Send(hv, older));
        Assert.Equal(PowerState.Paused, fleet.Vm(1)!.ReportedPower);
        Assert.Equal(1, fleet.Inventory.Counters.Dropped(DropReason.Stale));
        Assert.Equal(hv.Sequence, fleet.HostView("hv-01").Sequence);
    }

    [Fact]
    public void Competing_boot_is_dropped_while_the_current_boot_is_alive()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        var impostor = hv.Restart();
        Assert.Equal(DropReason.CompetingBoot, fleet.Send(impostor, impostor.Event(Vms.Vm(2))));
        Assert.Null(fleet.Vm(2));
        Assert.Equal(hv.Boot, fleet.HostView("hv-01").BootId);
        Assert.Equal(1, fleet.Inventory.Counters.Dropped(DropReason.CompetingBoot));
        // The live boot goes on.
        Assert.Equal(DropReason.None, fleet.Send(hv, hv.Event(Vms.Vm(3))));
    }

    [Fact]
    public void New_boot_is_accepted_after_the_host_down_threshold_and_old_boot_is_retired()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        var late = hv.Event(Vms.Vm(1, PowerState.Off)); // sent by the old boot, delivered after the restart
        fleet.Silence(3);
        Assert.Equal(HostState.Down, fleet.HostView("hv-01").State);

        var restarted = hv.Restart();
        Assert.Equal(DropReason.None, fleet.Send(restarted, restarted.Event(Vms.Vm(2))));
        Assert.Equal(restarted.Boot, fleet.HostView("hv-01").BootId);
        Assert.Equal(HostState.Up, fleet.HostView("hv-01").State);
        // VM 1 is kept until the new boot's first complete report says otherwise.
        Assert.NotNull(fleet.Vm(1));

        Assert.Equal(DropReason.RetiredBoot, fleet.Send(hv, late));
        Assert.Equal(PowerState.Running, fleet.Vm(1)!.ReportedPower);
    }

    [Fact]
    public void Stopping_retires_the_boot_at_once_and_the_next_boot_is_accepted_without_waiting()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        Assert.Equal(DropReason.None, fleet.Send(hv, hv.Stopping()));
        Assert.Equal(HostState.Stopped, fleet.HostView("hv-01").State);
        Assert.True(fleet.Vm(1)!.Unknown);

        var next = hv.Restart();
        Assert.Equal(DropReason.None, fleet.Send(next, next.CompleteReport([Vms.Vm(1)])[0]));
        Assert.Equal(HostState.Up, fleet.HostView("hv-01").State);
        Assert.False(fleet.Vm(1)!.Unknown);
        // The stopped boot stays retired: its datagrams are replays now.
        Assert.Equal(DropReason.RetiredBoot, fleet.Send(hv, hv.Event(Vms.Vm(1))));
    }

    [Fact]
    public void Only_the_newest_sixteen_retired_boots_are_remembered()
    {
        var fleet = new Fleet();
        var first = fleet.Host("hv-01");
        fleet.Send(first, first.Event());
        var replay = first.Event(Vms.Vm(9));
        fleet.Send(first, first.Stopping());
        var current = first;
        for (int i = 0; i < InventoryOptions.RetiredBoots; i++)
        {
            current = current.Restart();
            fleet.Send(current, current.Event());
            fleet.Send(current, current.Stopping());
        }
        // 17 boots retired: the first has left the window. With no current boot, its datagram counts as a
        // new boot again (spec §6.6 keeps a bounded set; a controller restart forgets them all anyway).
        Assert.Equal(DropReason.None, fleet.Send(first, replay));
    }

    [Fact]
    public void Hosts_are_independent()
    {
        var fleet = new Fleet();
        var a = fleet.Host("hv-a");
        var b = fleet.Host("hv-b");
        b.Sequence = 1000;
        Assert.Equal(DropReason.None, fleet.Send(b, b.Event(Vms.Vm(2))));
        Assert.Equal(DropReason.None, fleet.Send(a, a.Event(Vms.Vm(1))));
        Assert.Equal(["hv-a", "hv-b"], fleet.Inventory.Hosts().Select(h => h.Name));
    }
}
