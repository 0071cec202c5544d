// The sending half of hostd's STATE (spec §6.5, §6.6): the sequence and report numbers of this boot, the one
// datagram buffer, and the socket that reaches every controller. One sender at a time (_gate), so sequence
// numbers go out in order; a report is paged from record sizes and each page written once, as it is sent.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NLog;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Internal;

/// <summary>An event datagram as it was sent: its bytes, and the records of the list it carries, from
/// <paramref name="firstRecord"/> on.</summary>
internal delegate void EventSent(ReadOnlySpan<byte> datagram, int firstRecord, int records);

/// <summary>Writes, signs and sends STATE datagrams of one boot of hostd.</summary>
internal sealed partial class StateSender(ulong bootId, string host, IReadOnlyList<IPEndPoint> controllers, KeyRing keys, Logger log, DrainMark? drain = null) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly byte[] _datagram = new byte[PduHeader.MaxDatagram];
    private Route _route = new(controllers);   // replaced whole under _gate (a reload's new controllers list)
    private ulong _sequence;
    private uint _report;
    private int _sticky;

    /// <summary>Status bits every datagram carries besides its own (fenced, spec §15), until cleared.</summary>
    public HostStatus Sticky
    {
        get => (HostStatus)Volatile.Read(ref _sticky);
        set => Volatile.Write(ref _sticky, (int)value);
    }

    // Every datagram carries the host's marks as they are when it is written (spec §6.1: draining).
    private HostStatus WithMarks(HostStatus status) => drain is { Draining: true } ? status | HostStatus.Draining : status;

    /// <summary>The controllers state goes to.</summary>
    public IReadOnlyList<IPEndPoint> Controllers { get { lock (_gate) return _route.Controllers; } }

    /// <summary>
    /// Sends state to <paramref name="controllers"/> from the next datagram on (a reload). A report being
    /// paged out when this is called finishes on the old list: every datagram stands alone.
    /// </summary>
    public void SetControllers(IReadOnlyList<IPEndPoint> controllers)
    {
        var route = new Route(controllers);
        Route old;
        lock (_gate)
        {
            old = _route;
            _route = route;
        }
        old.Dispose();
    }

    /// <summary>
    /// Sends one complete report of <paramref name="vms"/> (page 0 carries <paramref name="facts"/>); returns the
    /// datagrams it took. A record too large for a page goes out truncated.
    /// </summary>
    public int SendReport(List<VmState> vms, AttrList facts)
    {
        lock (_gate)
        {
            uint report = ++_report;
            var counts = Paginate(vms, facts);
            int next = 0;
            for (int page = 0; page < counts.Count; page++)
            {
                var w = new StateWriter(_datagram, bootId, ++_sequence, report, (ushort)page, (ushort)counts.Count, WithMarks(Sticky), host, page == 0 ? facts : null);
                for (int i = 0; i < counts[page]; i++)
                {
                    bool added = w.TryAdd(vms[next++]);
                    Debug.Assert(added, "Paginate counted a record that does not fit");
                }
                Send(w.Finish(keys.Signing));
            }
            return counts.Count;
        }
    }

    // How many records go in each page, counted from sizes (the pages are written once, when sent); a record too
    // large for an empty page is replaced by its truncated form. Page 0 alone carries the facts.
    private List<int> Paginate(List<VmState> vms, AttrList facts)
    {
        int firstRoom = Room(facts), otherRoom = Room([]);
        var counts = new List<int>();
        int i = 0;
        do
        {
            int room = counts.Count == 0 ? firstRoom : otherRoom, n = 0;
            for (int size; i < vms.Count && (size = vms[i].EncodedSize) <= room; i++, n++) room -= size;
            if (n == 0 && i < vms.Count)
            {
                vms[i] = Truncate(vms[i], room);
                continue;
            }
            counts.Add(n);
        }
        while (i < vms.Count);
        return counts;
    }

    // Bytes a datagram has for records after the header, this host's fixed part, the facts and the tag.
    private int Room(AttrList facts) => PduHeader.MaxDatagram - new StatePdu { Host = host, Facts = facts }.EncodedSizeWithoutVms;

    /// <summary>Leaves out disk and nic attributes from the end until the record fits (spec §6.2, truncated).</summary>
    internal static VmState Truncate(VmState vm, int room)
    {
        List<Attr> attrs = [.. vm.Attributes];
        vm = vm with { Flags = vm.Flags | VmFlags.Truncated };
        while (vm.EncodedSize > room)
        {
            int last = attrs.FindLastIndex(a => a.Type is AttrType.Disk or AttrType.Nic);
            if (last < 0) break;
            attrs.RemoveAt(last);
            vm = vm with { Attributes = [.. attrs] };   // a record's list is frozen: each cut is a new one
        }
        return vm;
    }

    /// <summary>
    /// Sends <paramref name="vms"/> as event datagrams (none: one datagram with the status alone). <paramref name="sent"/>,
    /// when given, sees each datagram as it went out, with the records it carries (a range of <paramref name="vms"/>),
    /// under the sender's lock: it copies what it keeps and returns at once.
    /// </summary>
    public void SendEvent(List<VmState> vms, HostStatus status, EventSent? sent = null)
    {
        lock (_gate)
        {
            int i = 0;
            do
            {
                var w = new StateWriter(_datagram, bootId, ++_sequence, 0, 0, 0, WithMarks(status | Sticky), host, null);
                int first = i;
                while (i < vms.Count && w.TryAdd(vms[i])) i++;
                if (i == first && i < vms.Count) w.TryAdd(Truncate(vms[i++], w.Remaining));
                int length = w.Finish(keys.Signing);
                Send(length);
                sent?.Invoke(_datagram.AsSpan(0, length), first, i - first);
            }
            while (i < vms.Count);
        }
    }

    // Under _gate.
    private void Send(int length)
    {
        var route = _route;
        for (int i = 0; i < route.Targets.Length; i++)
        {
            try
            {
                route.Socket.SendTo(_datagram.AsSpan(0, length), SocketFlags.None, route.Targets[i]);
            }
            catch (SocketException e)
            {
                // A controller that is down answers with ICMP; the next heartbeat tries again.
                log.Debug("state to {0} not sent: {1}", route.Controllers[i], e.Message);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate) _route.Dispose();
    }

    /// <summary>The controllers and the one socket that reaches them all.</summary>
    private sealed class Route : IDisposable
    {
        public Route(IReadOnlyList<IPEndPoint> controllers)
        {
            Controllers = [.. controllers];
            // IPv4 alone unless a controller has an IPv6 address (a host may have IPv6 off).
            bool ipv6 = controllers.Any(c => c.AddressFamily == AddressFamily.InterNetworkV6);
            Socket = ipv6
                ? new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true }
                : new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            // Serialized once: SendTo with an EndPoint would serialize it again for every datagram.
            Targets = [.. controllers.Select(c => (ipv6 && c.AddressFamily == AddressFamily.InterNetwork
                ? new IPEndPoint(c.Address.MapToIPv6(), c.Port) : c).Serialize())];
        }

        public IReadOnlyList<IPEndPoint> Controllers { get; }

        /// <summary><see cref="Controllers"/> as the socket addresses datagrams go to (IPv4 ones mapped on a dual-mode socket).</summary>
        public SocketAddress[] Targets { get; }

        public Socket Socket { get; }

        public void Dispose() => Socket.Dispose();
    }}
