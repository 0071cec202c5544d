// One event of the controller's history (spec §7.7): a host's transition, a VM's change, a request with its origin,
// or a decision of the controller. Held by value in the ring's slots, so recording one allocates nothing: its
// strings are the inventory's own (host names, VM names cached per VM, notes already made for the log).
using Vmm.Controller.Inventory;
using Vmm.Protocol;

namespace Vmm.Controller.Events;

/// <summary>One event. <see cref="Id"/> and <see cref="TimeMs"/> are given by the log when it is recorded.</summary>
/// <param name="Kind">What it records.</param>
/// <param name="Host">The host; null when none (a request refused before a host was found).</param>
/// <param name="Vm">The VM, or empty.</param>
/// <param name="Name">The VM's name, when known.</param>
/// <param name="Value">host: the host's state; vm: its power state; request: the request code.</param>
/// <param name="Ack">request: the outcome's ack code.</param>
/// <param name="Uid">The admin caller's uid (SO_PEERCRED); <see cref="EventLog.Controller"/> for the controller's own.</param>
/// <param name="DurationUs">request: from its arrival to its outcome.</param>
/// <param name="RequestId">request: the id the controller sent it under; 0 when it sent none.</param>
/// <param name="Text">request: the outcome's message; host, decision: the note.</param>
internal readonly record struct Event(
    EventKind Kind, string? Host, Guid Vm = default, string? Name = null, byte Value = 0, AckCode Ack = AckCode.Success,
    uint Uid = EventLog.Controller, long DurationUs = 0, ulong RequestId = 0, string? Text = null)
{
    /// <summary>1, 2, ... in the order recorded.</summary>
    public long Id { get; init; }

    /// <summary>Unix time, ms.</summary>
    public long TimeMs { get; init; }

    /// <summary>Whether an admin caller asked for it (else the controller decided it).</summary>
    public bool FromAdmin => Uid != EventLog.Controller;
}

/// <summary>An event handed to followers (vmmctl events --follow) through the watch machinery (<see cref="WatchHub"/>):
/// made only while someone follows.</summary>
internal sealed record EventChange(Event Event) : InventoryChange(Event.Host ?? "");
