// What reading state costs in allocation: the refresher reads every VM each heartbeat for as long as hostd runs,
// so a read of unchanged domains must not parse their XML again (DescriptionCache), and a heartbeat's report
// must stay a few KB. Byte counts of the calling thread, not times: deterministic on any machine.
using System.Text;
using NLog;
using Vmm.Hostd.Libvirt;
using Vmm.Hostd.Tests.Daemon;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Libvirt;

public sealed class ReadAllocationTests
{
    private const int Domains = 50;

    [Fact]
    [Trait("Needs", "libvirt")]
    public async Task A_complete_read_of_50_unchanged_domains_allocates_under_100_KB()
    {
        // Before the cache: 975 KB a read (about 20 KB of XML parsing a domain); with it, about 20 KB in all.
        string dir = Directory.CreateTempSubdirectory("vmm-alloc-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "node.xml"), Node(Domains));
            using var hypervisor = new LibvirtHypervisor(new LibvirtOptions($"test://{dir}/node.xml", "vmm", Path.Combine(dir, "pool"), null), LogManager.GetLogger("test"));
            using var stop = new CancellationTokenSource();
            var run = hypervisor.RunAsync(stop.Token);
            Assert.Equal(Domains, hypervisor.ReadAll().Count);
            hypervisor.ReadAll();   // warm

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++) hypervisor.ReadAll();
            long perRead = (GC.GetAllocatedBytesForCurrentThread() - before) / 10;

            Assert.True(perRead < 100_000, $"a complete read of {Domains} unchanged domains allocated {perRead:#,0} bytes");
            await stop.CancelAsync();
            await run;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_heartbeat_report_of_50_VMs_allocates_under_8_KB()
    {
        await using var f = new DaemonFixture();
        for (int i = 0; i < Domains; i++)
            f.Hypervisor.Define($"vm-{i:d3}", PowerState.Running, new AttrList().Add(new NicInfo(0x5254_0000_0000UL + (ulong)i, NicModel.Virtio, NicKind.Network, "default")));
        f.ReceiveStateUntil(s => s.Pages > 0 && s.Facts.Number(AttrType.VmCount) == Domains);
        f.Daemon.Publisher.SendReport();   // warm

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) f.Daemon.Publisher.SendReport();
        long perReport = (GC.GetAllocatedBytesForCurrentThread() - before) / 10;

        Assert.True(perReport < 8 * 1024, $"a report of {Domains} VMs allocated {perReport:#,0} bytes");
    }

    // Running domains, each with a NIC, as libvirt's test driver loads them.
    private static string Node(int domains)
    {
        var xml = new StringBuilder("<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active>" +
                                    "<mhz>2000</mhz><model>m</model></cpu><memory>16777216</memory>");
        for (int i = 0; i < domains; i++)
            xml.Append($"<domain type='test'><name>vm-{i:d3}</name><uuid>6d6d7600-0000-4000-8000-{i:x12}</uuid><memory unit='MiB'>64</memory>")
               .Append($"<vcpu>1</vcpu><os><type>hvm</type></os><devices><interface type='network'><mac address='52:54:00:00:00:{i:x2}'/>")
               .Append("<source network='default'/><model type='virtio'/></interface></devices></domain>");
        return xml.Append("</node>").ToString();
    }
}
