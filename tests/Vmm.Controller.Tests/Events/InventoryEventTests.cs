using Vmm.Controller.Events;
using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>What the inventory puts in the history: the changes a watch is told of, from the same place, at no
/// allocation per datagram.</summary>
public sealed class InventoryEventTests
{
    private static List<Event> All(Fleet fleet) => fleet.Inventory.Events.Find(new EventFilter());

    [Fact]
    public void Host_transitions_VM_changes_and_removals_are_recorded()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1, name: "web-1"), Vms.Vm(2, name: "db-1")]));
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1, PowerState.Paused, name: "web-1")]));

        var events = All(fleet);
        var host = Assert.Single(events, e => e.Kind == EventKind.Host);
        Assert.Equal((byte)HostState.Up, host.Value);
        Assert.Equal("was unknown", host.Text);
        Assert.Contains(events, e => e.Kind == EventKind.Vm && e.Name == "web-1" && e.Value == (byte)PowerState.Paused);
        var removed = Assert.Single(events, e => e.Kind == EventKind.VmRemoved);
        Assert.Equal(("db-1", Vms.Uuid(2)), (removed.Name, removed.Vm));
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Id));

        fleet.Silence(fleet.Inventory.Options.DownAfter + 1);
        fleet.Inventory.Sweep();
        var down = All(fleet)[^1];
        Assert.Equal((EventKind.Host, (byte)HostState.Down, "was up"), (down.Kind, down.Value, down.Text));
    }

    [Fact]
    public void The_history_and_a_watch_see_the_same_VM_changes()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        using var watch = fleet.Inventory.Watchers.Subscribe(1 << 20, host: "hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2), Vms.Vm(3)]));
        for (int i = 0; i < 10; i++) fleet.Send(hv, hv.Event(Vms.Vm(1 + i % 3, i % 2 == 0 ? PowerState.Paused : PowerState.Running)));
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));

        var watched = new List<Guid>();
        while (watch.TryRead(out var c))
            if (c is Inventory.VmChange v) watched.Add(v.View.Uuid);
        var recorded = All(fleet).Where(e => e.Kind is EventKind.Vm or EventKind.VmRemoved).Select(e => e.Vm).ToList();
        Assert.Equal(watched, recorded);
    }

    [Fact]
    public void A_power_change_is_recorded_without_allocating()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        var events = Enumerable.Range(0, 200).Select(i => hv.Event(Vms.Vm(1, i % 2 == 0 ? PowerState.Running : PowerState.Paused))).ToArray();
        for (int i = 0; i < 100; i++) fleet.Ingest.Process(events[i], hv.From);
        long recorded = fleet.Inventory.Events.Recorded;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 100; i < events.Length; i++) fleet.Ingest.Process(events[i], hv.From);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(recorded + 100, fleet.Inventory.Events.Recorded);
    }

    [Fact]
    public void HA_notes_are_decisions_of_the_controller()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1, name: "web-1")]));
        fleet.Inventory.Note(fleet.Vm(1)!, "HA: restarting web-1 on hv-02");
        fleet.Inventory.Note("hv-01", "HA paused: 2 of 3 hosts are down");
        var decisions = All(fleet).Where(e => e.Kind == EventKind.Decision).ToList();
        Assert.Equal(2, decisions.Count);
        Assert.All(decisions, d => Assert.False(d.FromAdmin));
        Assert.Equal(("web-1", "HA: restarting web-1 on hv-02"), (decisions[0].Name, decisions[0].Text));
    }
}
