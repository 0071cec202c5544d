// What the inventory adds to the event history (spec §7.7), from the place where it tells watchers (Announce), so
// that `vmmctl events` and `vmmctl watch` never disagree about what changed; and the controller's decisions about
// hosts and VMs (HA, spec §15.6), which watchers get as notes and the history as decision events.
using Vmm.Controller.Events;
using Vmm.Protocol;

namespace Vmm.Controller.Inventory;

internal sealed partial class FleetInventory
{
    // "was up", ...: a host event's text, made once (a transition then allocates nothing).
    private static readonly string[] Was = [.. Enumerable.Range(0, 5).Select(s => $"was {Vmm.Protocol.Text.Names.Of((HostState)s)}")];

    /// <summary>
    /// Records what one announcement changed: the host's transition (its VMs turn unknown or known with it: not one
    /// event each) or its draining mark, the VMs a datagram changed, and those it removed (<paramref name="removed"/>,
    /// the ingest thread's list, which this empties). Called under the host's lock, as watchers are told.
    /// </summary>
    private void Record(HostEntry host, HostState previous, HostState state, bool marked, List<VmEntry>? changed, List<VmEntry>? removed)
    {
        string name = host.Name;
        if (state != previous) Events.Record(new Event(EventKind.Host, name, Value: (byte)state, Text: Was[Math.Min((int)previous, Was.Length - 1)]));
        if (marked) Events.Record(new Event(EventKind.Host, name, Value: (byte)state, Text: host.Draining ? "marked draining" : "draining mark cleared"));
        if (changed is not null)
            foreach (var vm in changed) Events.Record(new Event(EventKind.Vm, name, vm.Uuid, vm.Name, (byte)vm.Power));
        if (removed is null) return;
        foreach (var vm in removed) Events.Record(new Event(EventKind.VmRemoved, name, vm.Uuid, vm.Name));
        removed.Clear();
    }

    // The host said it fenced itself, or no longer is (spec §15): logged, and shown to watchers and in the history with why.
    private void FencedChanged(HostEntry host, bool fenced, long now)
    {
        string note = fenced
            ? $"host {host.Name} fenced itself: its lease lapsed, and it destroyed or paused its HA VMs"
            : $"host {host.Name} is no longer fenced: a controller renewed its lease (the HA VMs it fenced stay as they are)";
        if (fenced) _log.Warn(note);
        else _log.Info(note);
        Events.Record(new Event(EventKind.Decision, host.Name, Text: note));
        if (Watchers.Watches(host.Name)) Watchers.Publish(new HostChange(ViewOf(host, host.StateAt(now, _downAfterMs), now), note));
    }

    /// <summary>A decision about <paramref name="host"/> (HA, spec §15; a drain): in the history, and for watchers
    /// published with the host as it is now. <paramref name="uid"/>: the admin caller it was made for, if any.</summary>
    public void Note(string host, string note, uint uid = EventLog.Controller)
    {
        Events.Record(new Event(EventKind.Decision, host, Uid: uid, Text: note));
        if (Find(host) is not { } h || !Watchers.Watches(h.Name)) return;
        lock (h.Gate)
        {
            long now = _clock();
            Watchers.Publish(new HostChange(ViewOf(h, h.StateAt(now, _downAfterMs), now), note));
        }
    }

    /// <summary>A decision about VM <paramref name="vm"/> (HA, spec §15; a drain): in the history, and for watchers
    /// with the VM as <paramref name="vm"/> shows it.</summary>
    public void Note(VmView vm, string note, uint uid = EventLog.Controller)
    {
        Events.Record(new Event(EventKind.Decision, vm.Host, vm.Uuid, vm.Name, Uid: uid, Text: note));
        if (Find(vm.Host) is not { } h || !Watchers.Watches(h.Name)) return;
        lock (h.Gate) Watchers.Publish(new VmChange(vm, note));
    }
}
