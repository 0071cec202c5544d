// The ingest path of one STATE datagram, socket aside: authenticate, parse, apply, and count and log
// what is dropped. UdpIngest feeds it from the socket; dispatch feeds it the datagrams ACKs carry (spec §7.2,
// state); tests and the bench feed it directly. One datagram at a time (_gate): the inventory's ingest is
// single-threaded, and the socket's thread takes the lock uncontended but for a request's answer.
using NLog;
using Vmm.Controller.Inventory;
using Vmm.Protocol;

namespace Vmm.Controller.Ingest;

internal sealed class StateIngest
{
    private readonly FleetInventory _inventory;
    private readonly HostKeys _keys;
    private readonly DropLog _drops;
    private readonly Lock _gate = new();

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
        lock (_gate) return ProcessOne(datagram, from);
    }

    /// <summary>
    /// Handles a STATE datagram that <paramref name="host"/>'s ACK carried (spec §7.2, state): authenticated by its own
    /// tag like any datagram, it must name that host; it is applied once whether it or its UDP copy comes first, and
    /// neither copy counts as a drop. Any thread.
    /// </summary>
    public DropReason ProcessCarried(string host, ReadOnlySpan<byte> datagram)
    {
        lock (_gate)
        {
            var reason = DatagramGate.Authenticate(datagram, _keys, out string? detail);
            if (reason != DropReason.None) return Refused(datagram, PeerAddress.None, reason, detail);
            reason = DatagramGate.Parse(datagram, out var state, out detail);
            if (reason != DropReason.None) return Refused(datagram, PeerAddress.None, reason, detail);
            if (!state.HostUtf8.SequenceEqual(System.Text.Encoding.UTF8.GetBytes(host)))
                return Refused(datagram, PeerAddress.None, DropReason.WrongKey, $"an ACK of {host} carried state signed for another host");
            reason = _inventory.ApplyCarried(state, out var named);
            if (reason != DropReason.None && _drops.Due(named, reason, out long suppressed))
                _drops.Write(named, PeerAddress.None, reason, OrderingDetail(reason, state.BootId, state.Sequence, named), suppressed);
            return reason;
        }
    }

    private DropReason ProcessOne(ReadOnlySpan<byte> datagram, PeerAddress from)
    {
        var reason = DatagramGate.Authenticate(datagram, _keys, out string? detail);
        if (reason != DropReason.None) return Refused(datagram, from, reason, detail);
        if (PduFraming.TryReadDatagram(datagram, out var frame, out _) && frame.Type == PduType.Usage) return ProcessUsage(datagram, from);
        reason = DatagramGate.Parse(datagram, out var state, out detail);
        if (reason != DropReason.None) return Refused(datagram, from, reason, detail);

        reason = _inventory.Apply(state, from, out var host);
        if (reason != DropReason.None && _drops.Due(host, reason, out long suppressed))
            _drops.Write(host, from, reason, OrderingDetail(reason, state.BootId, state.Sequence, host), suppressed);
        return reason;
    }

    // An authenticated USAGE (spec §16.3): a boot other than the host's current one is dropped as stale, and logged
    // rate-limited like a stale STATE.
    private DropReason ProcessUsage(ReadOnlySpan<byte> datagram, PeerAddress from)
    {
        var reason = DatagramGate.ParseUsage(datagram, out var usage, out string? detail);
        if (reason != DropReason.None) return Refused(datagram, from, reason, detail);
        reason = _inventory.ApplyUsage(usage, out var host);
        if (reason != DropReason.None && _drops.Due(host, reason, out long suppressed))
            _drops.Write(host, from, reason, host is null
                ? "usage of a host not heard yet (usage starts nothing: its STATE comes first)"
                : $"usage of boot 0x{usage.BootId:x16}, which is not the host's current boot 0x{host.BootId:x16}", suppressed);
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
