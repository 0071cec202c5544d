using System.Net;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

/// <summary>
/// A simulated hostd: one boot with its sequence counter, building signed STATE datagrams the way the
/// spec says hostd sends them (events, paged complete reports, stopping, unreachable).
/// </summary>
internal sealed class HostSim(string name, ClusterKey key, ulong boot = 0)
{
    private static long _boots = 0x1000;

    public string Name { get; } = name;

    public ulong Boot { get; private set; } = boot != 0 ? boot : (ulong)Interlocked.Increment(ref _boots) << 8;

    public ulong Sequence { get; set; }

    public uint ReportNumber { get; private set; }

    public ClusterKey Key { get; } = key;

    /// <summary>Status bits set in every datagram this host sends, as hostd sets draining while marked (spec §6.1).</summary>
    public HostStatus Marks { get; set; }

    public AttrList Facts { get; set; } = new AttrList()
        .Add(AttrType.Cpus, 16)
        .Add(AttrType.MemoryTotal, 64UL << 20)
        .Add(AttrType.MemoryFree, 32UL << 20)
        .Add(AttrType.Port, 7401)
        .Add(AttrType.MigrationUri, $"qemu+tcp://{name}/system");

    public IPAddress Address
    {
        get;
        set
        {
            field = value;
            From = PeerAddress.From(value);
        }
    } = IPAddress.Parse("192.0.2.10");

    /// <summary>The address of its datagrams, as the ingest path sees it.</summary>
    public PeerAddress From { get; private set; } = PeerAddress.From(IPAddress.Parse("192.0.2.10"));

    /// <summary>A new hostd run on this host: new boot id, sequences and reports from 1.</summary>
    public HostSim Restart() => new(Name, Key) { Facts = Facts, Address = Address };

    /// <summary>An event datagram carrying <paramref name="vms"/>.</summary>
    public byte[] Event(params VmState[] vms) => Build(0, 0, 0, HostStatus.None, null, vms);

    /// <summary>One complete report of <paramref name="vms"/> in as many pages as needed (at most
    /// <paramref name="perPage"/> records each), with consecutive sequence numbers.</summary>
    public List<byte[]> CompleteReport(IReadOnlyList<VmState> vms, int perPage = 100)
    {
        ReportNumber++;
        int pages = Math.Max(1, (vms.Count + perPage - 1) / perPage);
        var result = new List<byte[]>();
        for (int p = 0; p < pages; p++)
        {
            var chunk = vms.Skip(p * perPage).Take(perPage).ToArray();
            var facts = p == 0 ? Facts.Copy().Add(AttrType.VmCount, (ulong)vms.Count) : null;
            result.Add(Build(ReportNumber, (ushort)p, (ushort)pages, HostStatus.None, facts, chunk));
        }
        return result;
    }

    /// <summary>One USAGE page (spec §16) of this boot, sampled at <paramref name="sampledMs"/>.</summary>
    public byte[] Usage(ulong sampledMs, params (Guid Uuid, UsageCounters Counters)[] vms) => Usage(sampledMs, 0, 1, Boot, vms);

    public byte[] Usage(ulong sampledMs, ushort page, ushort pages, ulong boot, params (Guid Uuid, UsageCounters Counters)[] vms)
    {
        var buffer = new byte[PduHeader.MaxDatagram];
        var w = new UsageWriter(buffer, boot, sampledMs, page, 10_000, Name);
        foreach (var (uuid, counters) in vms)
            if (!w.TryAdd(uuid, counters)) throw new InvalidOperationException("test usage records do not fit one datagram");
        return buffer[..w.Finish(pages, Key)];
    }

    public byte[] Stopping() => Build(0, 0, 0, HostStatus.Stopping, null, []);

    public byte[] Unreachable() => Build(0, 0, 0, HostStatus.Unreachable, null, []);

    public byte[] Build(uint report, ushort page, ushort pages, HostStatus status, AttrList? facts, VmState[] vms, ClusterKey? signWith = null, bool sign = true)
    {
        var buffer = new byte[PduHeader.MaxDatagram];
        var w = new StateWriter(buffer, Boot, ++Sequence, report, page, pages, status | Marks, Name, facts);
        foreach (var vm in vms)
            if (!w.TryAdd(vm)) throw new InvalidOperationException("test records do not fit one datagram");
        return buffer[..w.Finish(sign ? signWith ?? Key : null)];
    }
}

internal static class AttrListExtensions
{
    public static AttrList Copy(this AttrList list)
    {
        var copy = new AttrList();
        foreach (var a in list) copy.Add(a);
        return copy;
    }
}
