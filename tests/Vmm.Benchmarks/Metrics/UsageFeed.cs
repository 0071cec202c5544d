// Usage samples (spec §16) for every VM the inventory holds, as each host's hostd would send them: paged USAGE
// datagrams signed with the host's key, counters growing from one sample to the next. Built once, in memory, so that
// feeding them costs the ingest path alone.
using Vmm.Controller.Ingest;
using Vmm.Controller.Inventory;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Benchmarks.Metrics;

internal sealed class UsageFeed
{
    private readonly List<(HostView Host, ClusterKey Key, Guid[] Vms)> _hosts = [];

    public UsageFeed(FleetInventory inventory, ClusterKey master)
    {
        var byHost = inventory.Vms().GroupBy(v => v.Host).ToDictionary(g => g.Key, g => g.Select(v => v.Uuid).ToArray());
        foreach (var h in inventory.Hosts())
            _hosts.Add((h, master.DeriveHostKey(h.Name), byHost.GetValueOrDefault(h.Name, [])));
    }

    /// <summary>Every host's USAGE datagrams of sample <paramref name="n"/> (1, 2, ...), 10 s apart.</summary>
    public List<byte[]> Sample(int n)
    {
        var datagrams = new List<byte[]>();
        var buffer = new byte[PduHeader.MaxDatagram];
        foreach (var (host, key, vms) in _hosts)
        {
            var pages = new List<(int From, int To)>();
            for (int i = 0; i < vms.Length;)
            {
                int from = i;
                var w = new UsageWriter(buffer, host.BootId, (ulong)n * 10_000, 0, 10_000, host.Name);
                while (i < vms.Length && w.TryAdd(vms[i], Counters(n, i))) i++;
                pages.Add((from, i));
            }
            for (int p = 0; p < pages.Count; p++)
            {
                var w = new UsageWriter(buffer, host.BootId, (ulong)n * 10_000, (ushort)p, 10_000, host.Name);
                for (int i = pages[p].From; i < pages[p].To; i++) w.TryAdd(vms[i], Counters(n, i));
                datagrams.Add(buffer[..w.Finish((ushort)pages.Count, key)]);
            }
        }
        return datagrams;
    }

    private static UsageCounters Counters(int n, int vm)
    {
        var c = new UsageCounters();
        for (var t = UsageCounters.First; t <= UsageCounters.Last; t++) c.Set(t, (ulong)n * 1_000_000_000 + (ulong)vm * 1000 + (ulong)t);
        return c;
    }

    /// <summary>Applies <paramref name="datagrams"/>; returns the bytes the ingest thread allocated.</summary>
    public static long Feed(StateIngest ingest, List<byte[]> datagrams, PeerAddress from)
    {
        long allocated = 0;
        foreach (var d in datagrams)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            if (ingest.Process(d, from) != DropReason.None) throw new InvalidOperationException("a USAGE datagram was dropped");
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }
        return allocated;
    }
}
