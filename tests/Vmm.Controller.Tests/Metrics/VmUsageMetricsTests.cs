using System.Text;
using NLog;
using Vmm.Controller.Metrics;
using Vmm.Hosting.Metrics;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

/// <summary>Per-VM usage series (spec §16) and their bound, metrics-vm-usage-max: above it they are left out of the scrape.</summary>
public sealed class VmUsageMetricsTests
{
    private static Fleet WithUsage(int vms)
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        var records = Enumerable.Range(1, vms).Select(n => Vms.Vm(n)).ToArray();
        fleet.Send(hv, hv.CompleteReport(records));
        var c = new UsageCounters();
        c.Set(AttrType.CpuTimeNs, 2_500_000_000);
        c.Set(AttrType.MemUsed, 1024);
        c.Set(AttrType.DiskReadBytes, 4096);
        Assert.Equal(DropReason.None, fleet.Send(hv, hv.Usage(1000, [.. records.Select(r => (r.Uuid, c))])));
        return fleet;
    }

    private static string Render(Fleet fleet, int max)
    {
        using var buffer = new PooledBufferWriter();
        new VmUsageMetrics(fleet.Inventory, max, LogManager.CreateNullLogger()).Write(new MetricsWriter(buffer));
        return Encoding.UTF8.GetString(buffer.Written.Span);
    }

    [Fact]
    public void Each_vm_has_its_cpu_seconds_memory_and_byte_counters_labelled_host_vm_and_uuid()
    {
        var text = Render(WithUsage(3), max: 3);
        Assert.Contains($"vmm_vm_cpu_seconds_total{{host=\"hv-01\",vm=\"vm-1\",uuid=\"{Vms.Uuid(1)}\"}} 2.5\n", text);
        Assert.Contains($"vmm_vm_memory_used_bytes{{host=\"hv-01\",vm=\"vm-2\",uuid=\"{Vms.Uuid(2)}\"}} 1048576\n", text);
        Assert.Contains($"vmm_vm_disk_read_bytes_total{{host=\"hv-01\",vm=\"vm-3\",uuid=\"{Vms.Uuid(3)}\"}} 4096\n", text);
        Assert.DoesNotContain("vmm_vm_network_receive_bytes_total{", text);   // not reported: no series
        Assert.Contains("vmm_vm_usage_vms 3\n", text);
        Assert.Contains("vmm_vm_usage_series_omitted 0\n", text);
        Assert.Contains("vmm_usage_datagrams_accepted_total 1\n", text);
    }

    [Fact]
    public void Above_the_bound_the_series_are_left_out_and_a_gauge_says_so()
    {
        var fleet = WithUsage(4);
        var text = Render(fleet, max: 3);
        Assert.DoesNotContain("vmm_vm_cpu_seconds_total{", text);
        Assert.Contains("vmm_vm_usage_vms 4\n", text);
        Assert.Contains("vmm_vm_usage_series_max 3\n", text);
        Assert.Contains("vmm_vm_usage_series_omitted 1\n", text);

        var off = Render(fleet, max: 0);   // 0: never written, and not an omission to alert on
        Assert.DoesNotContain("vmm_vm_cpu_seconds_total{", off);
        Assert.Contains("vmm_vm_usage_series_omitted 0\n", off);
    }

    [Fact]
    public void The_bound_counts_the_vms_of_each_hosts_newest_sample_once_over_its_pages()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        var records = Enumerable.Range(1, 4).Select(n => Vms.Vm(n)).ToArray();
        fleet.Send(hv, hv.CompleteReport(records));
        var c = new UsageCounters();
        c.Set(AttrType.CpuTimeNs, 1);
        var page0 = hv.Usage(1000, 0, 2, hv.Boot, [.. records.Take(2).Select(r => (r.Uuid, c))]);
        var page1 = hv.Usage(1000, 1, 2, hv.Boot, [.. records.Skip(2).Select(r => (r.Uuid, c))]);
        fleet.Send(hv, page0);
        fleet.Send(hv, page1);
        fleet.Send(hv, page1);   // sent twice: counted once
        Assert.Equal(4, fleet.Inventory.CountVmUsage());
        fleet.Send(hv, hv.Usage(2000, 0, 1, hv.Boot, [(records[0].Uuid, c)]));   // the next sample has one VM
        Assert.Equal(1, fleet.Inventory.CountVmUsage());
        fleet.Clock.Advance(TimeSpan.FromSeconds(31));   // three intervals of 10 s without a sample
        Assert.Equal(0, fleet.Inventory.CountVmUsage());
    }
}
