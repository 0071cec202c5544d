// USAGE as hostd sends it (spec §16.1, §16.2): pages within 1200 bytes, whole records, one sample time, every VM once;
// and the stats names of libvirt folded into counters.
using System.Net;
using System.Net.Sockets;
using NLog;
using Vmm.Hostd.Internal;
using Vmm.Hostd.Libvirt;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

public sealed class UsageSenderTests
{
    private static UsageCounters Full(ulong seed)
    {
        var c = new UsageCounters();
        for (var t = UsageCounters.First; t <= UsageCounters.Last; t++) c.Set(t, seed * 1000 + (ulong)t);
        return c;
    }

    [Theory]
    [InlineData("hv-01", 100, 8)]
    [InlineData("a-host-name-of-sixty-four-bytes-which-is-the-longest-allowed-xyz", 100, 7)]
    [InlineData("hv-01", 1, 1)]
    public void A_sample_is_paged_in_whole_records_within_1200_bytes(string host, int vms, int perPage)
    {
        using var controller = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        controller.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        controller.ReceiveBufferSize = 1 << 20;
        var key = DaemonFixture.Key.DeriveHostKey(host);
        using var sender = new StateSender(0x1234, host, [(IPEndPoint)controller.LocalEndPoint!], new KeyRing(key), LogManager.GetLogger("test"));
        var sample = Enumerable.Range(0, vms).Select(i => new VmUsageSample(Guid.NewGuid(), Full((ulong)i))).ToList();

        int pages = sender.SendUsage(sample, 987_654, 10_000);

        Assert.Equal((vms + perPage - 1) / perPage, pages);
        var buffer = new byte[2048];
        var seen = new List<VmUsage>();
        for (int p = 0; p < pages; p++)
        {
            int n = controller.Receive(buffer);
            Assert.True(n <= PduHeader.MaxDatagram, $"a datagram of {n} bytes");
            var usage = Assert.IsType<UsagePdu>(PduCodec.Decode(buffer.AsSpan(0, n), key, PduHeader.MaxDatagram));
            Assert.Equal((0x1234UL, 987_654UL, (ushort)p, (ushort)pages, 10_000U, host),
                (usage.BootId, usage.SampledMs, usage.Page, usage.Pages, usage.IntervalMs, usage.Host));
            seen.AddRange(usage.Vms);
        }
        Assert.Equal(sample.Select(s => s.Uuid), seen.Select(v => v.Uuid));
        Assert.Equal(sample[^1].Counters.ToAttributes(), seen[^1].Attributes);
    }

    [Fact]
    public void No_vm_sends_nothing()
    {
        using var sender = new StateSender(1, "hv-01", [], new KeyRing(DaemonFixture.Key), LogManager.GetLogger("test"));
        Assert.Equal(0, sender.SendUsage([], 1, 10_000));
    }

    [Fact]
    public void Libvirt_stats_are_folded_into_counters_disks_and_nics_summed()
    {
        var acc = new UsageAccumulator();
        foreach (var (name, value) in new (string, ulong)[]
        {
            ("state.state", 1), ("cpu.time", 123_000_000), ("cpu.user", 1), ("balloon.current", 2_097_152), ("balloon.maximum", 4_194_304),
            ("balloon.available", 2_000_000), ("balloon.unused", 500_000), ("balloon.rss", 700_000),
            ("block.count", 2), ("block.0.name", 0), ("block.0.rd.bytes", 1000), ("block.0.wr.bytes", 10), ("block.0.rd.reqs", 5), ("block.0.wr.reqs", 1),
            ("block.1.rd.bytes", 2000), ("block.1.wr.bytes", 20), ("block.1.rd.reqs", 7), ("block.1.wr.reqs", 2), ("block.1.rd.times", 99),
            ("net.count", 1), ("net.0.rx.bytes", 300), ("net.0.tx.bytes", 400), ("net.0.rx.pkts", 3), ("net.0.tx.pkts", 4), ("net.0.rx.drop", 9),
        })
            acc.Take(System.Text.Encoding.ASCII.GetBytes(name), value);
        var c = acc.Finish();
        Assert.Equal(123_000_000UL, c[AttrType.CpuTimeNs]);
        Assert.Equal(2_097_152UL, c[AttrType.MemBalloon]);
        Assert.Equal(1_500_000UL, c[AttrType.MemUsed]);   // available - unused, the guest's own figure, before rss
        Assert.Equal((3000UL, 30UL, 12UL, 3UL), (c[AttrType.DiskReadBytes], c[AttrType.DiskWriteBytes], c[AttrType.DiskReads], c[AttrType.DiskWrites]));
        Assert.Equal((300UL, 400UL, 3UL, 4UL), (c[AttrType.NetRxBytes], c[AttrType.NetTxBytes], c[AttrType.NetRxPackets], c[AttrType.NetTxPackets]));
    }

    [Fact]
    public void Without_the_guests_balloon_figures_memory_used_is_the_processes_resident_memory()
    {
        var acc = new UsageAccumulator();
        acc.Take("balloon.rss"u8, 700_000);
        acc.Take("net.count"u8, 0);
        var c = acc.Finish();
        Assert.Equal(700_000UL, c[AttrType.MemUsed]);
        Assert.True(c.Has(AttrType.NetRxBytes));      // no NIC: 0, reported
        Assert.False(c.Has(AttrType.DiskReadBytes));   // not asked or not reported: absent
        Assert.False(c.Has(AttrType.CpuTimeNs));
    }
}
