// The ingest path of one STATE datagram, socket aside: authenticate, parse, apply, and count and log
// what is dropped. UdpIngest feeds it from the socket; tests and the bench feed it directly.
using NLog;
using Vmm.Controller.Inventory;
using Vmm.Protocol;

namespace Vmm.Controller.Ingest;

internal sealed class StateIngest
{
    private readonly FleetInventory _inventory;
    private readonly HostKeys _keys;
    private readonly DropLog _drops;

    public StateIngest(FleetInventory inventory, HostKeys keys, Logger? log = null)
    {
        _inventory = inventory;
        _keys = keys;
        _drops = new DropLog(log ?? LogManager.GetLogger("vmm.ingest"), () => inventory.Now);
    }

    public FleetInventory Inventory => _inventory;

    /// <summary>
    /// Handles one datagram received from <paramref name="from"/>: <see cref="DropReason.None"/> when it was
    /// applied, else why it was dropped (counted globally, per host once the datagram authenticated, and logged
    /// rate-limited). One thread at a time; allocates nothing for a good datagram once warmed up.
    /// </summary>
    public DropReason Process(ReadOnlySpan<byte> datagram, PeerAddress from)
    {
        var reason = DatagramGate.Authenticate(datagram, _keys, out string? detail);
        if (reason != DropReason.None) return Refused(datagram, from, reason, detail);
        reason = DatagramGate.Parse(datagram, out var state, out detail);
        if (reason != DropReason.None) return Refused(datagram, from, reason, detail);

        reason = _inventory.Apply(state, from, out var host);
        if (reason != DropReason.None && _drops.Due(host, reason, out long suppressed))
            _drops.Write(host, from, reason, OrderingDetail(reason, state.BootId, state.Sequence, host), suppressed);
        return reason;
    }

    private DropReason Refused(ReadOnlySpan<byte> datagram, PeerAddress from, DropReason reason, string? detail)
    {
        // Charged to no host: neither the source address nor a name in unauthenticated bytes proves who sent it.
        _inventory.CountUnattributed(reason);
        if (_drops.Due(null, reason, out long suppressed))
            _drops.Write(null, from, reason, detail ?? DatagramGate.Describe(reason, datagram), suppressed);
        return reason;
    }

    private static string OrderingDetail(DropReason reason, ulong boot, ulong sequence, HostEntry? host) => reason switch
    {
        DropReason.Duplicate => $"sequence {sequence} of boot 0x{boot:x16} was already accepted",
        DropReason.Stale => $"sequence {sequence} of boot 0x{boot:x16} is older than the newest accepted ({host?.Sequence})",
        DropReason.RetiredBoot => $"boot 0x{boot:x16} was retired (a replay, or a datagram delayed past a restart)",
        DropReason.CompetingBoot =>
            $"boot 0x{boot:x16} competes with the live boot 0x{host?.BootId:x16}: two hostd claim this host name, or old datagrams are replayed",
        DropReason.HostLimit => "the controller already holds as many hosts as it is allowed (MaxHosts)",
        _ => reason.Name(),
    };
}
