using NLog;
using Vmm.Protocol;

namespace Vmm.Controller.Dispatch;

/// <summary>What every part of dispatch shares.</summary>
/// <param name="Keys">Each host's keys: a REQUEST is signed, and its ACK checked, with the key of its host.</param>
/// <param name="Options">Deadlines, retries and bounds.</param>
/// <param name="Log">Connection events and request outcomes.</param>
/// <param name="Time">The clock of every deadline, backoff and idle check (tests drive it by hand).</param>
/// <param name="AdoptBoot">Told of every ACK whose boot differs from the one its request was bound to (host name,
/// the ACK's boot), which proves a restart (spec §6.6); false when that boot is not to be trusted (retired). Null:
/// every such boot is taken as it comes.</param>
/// <param name="CarriedState">Given every STATE datagram an ACK carried (host name, the datagram's bytes), before the
/// answer goes to its caller (spec §7.2, state). Null: they are ignored (the UDP copy will do).</param>
internal sealed record DispatchContext(HostKeys Keys, DispatchOptions Options, Logger Log, TimeProvider Time, Func<string, ulong, bool>? AdoptBoot,
    Action<string, byte[]>? CarriedState = null)
{
    /// <summary>Where request ids come from (the dispatcher's, shared with the pings that prove spare connections).</summary>
    public RequestIds Ids { get; init; } = new();

    /// <summary>Hands an ACK's STATE datagram to the inventory.</summary>
    public void Carried(string host, byte[] datagram) => CarriedState?.Invoke(host, datagram);

    /// <summary>Whether <paramref name="boot"/>, from an ACK of <paramref name="host"/>, is now its current boot.</summary>
    public bool Adopt(string host, ulong boot) => AdoptBoot?.Invoke(host, boot) ?? true;
}
