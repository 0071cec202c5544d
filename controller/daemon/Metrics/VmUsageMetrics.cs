// Per-VM usage for Prometheus (spec §16): CPU seconds, memory in use, disk and network bytes of every VM whose usage is
// fresh, labelled host, vm (its name) and uuid. A fleet of 10,000 hosts of 100 VMs would make about 6 million lines a
// scrape, so the series are bounded: above metrics-vm-usage-max VMs (0: always) they are left out of the scrape, a gauge
// says so, and a warning is logged at most once an hour.
using NLog;
using Vmm.Controller.Inventory;
using Vmm.Hosting.Metrics;
using Vmm.Protocol;

namespace Vmm.Controller.Metrics;

internal sealed class VmUsageMetrics(FleetInventory inventory, int max, Logger? log = null) : IMetricsSource
{
    private static readonly (string Name, MetricType Type, string Help, AttrType Counter, double Scale)[] Families =
    [
        ("vmm_vm_cpu_seconds_total", MetricType.Counter, "CPU time the VM used since its process started (libvirt cpu.time).", AttrType.CpuTimeNs, 1e-9),
        ("vmm_vm_memory_used_bytes", MetricType.Gauge, "Memory the VM uses: the guest's balloon figures, else its process's resident memory.", AttrType.MemUsed, 1024),
        ("vmm_vm_disk_read_bytes_total", MetricType.Counter, "Bytes the VM read from its disks.", AttrType.DiskReadBytes, 1),
        ("vmm_vm_disk_written_bytes_total", MetricType.Counter, "Bytes the VM wrote to its disks.", AttrType.DiskWriteBytes, 1),
        ("vmm_vm_network_receive_bytes_total", MetricType.Counter, "Bytes the VM's NICs received.", AttrType.NetRxBytes, 1),
        ("vmm_vm_network_transmit_bytes_total", MetricType.Counter, "Bytes the VM's NICs sent.", AttrType.NetTxBytes, 1),
    ];

    private readonly Logger _log = log ?? LogManager.GetLogger("vmm.metrics");
    private long _warnedAt = long.MinValue;

    public void Write(MetricsWriter w)
    {
        int vms = inventory.CountVmUsage();
        bool omitted = max == 0 || vms > max;
        w.Single("vmm_vm_usage_vms", MetricType.Gauge, "VMs whose usage the controller holds fresh now.", vms);
        w.Single("vmm_vm_usage_series_max", MetricType.Gauge,
            "The most VMs whose usage series the scrape holds (metrics-vm-usage-max; 0: none); above it they are left out.", max);
        w.Single("vmm_vm_usage_series_omitted", MetricType.Gauge, "1 when the per-VM usage series are left out of this scrape for being above that bound.",
            omitted && max != 0 ? 1 : 0);
        UsageMetrics.WriteIngest(w, inventory.Counters);
        if (omitted)
        {
            if (max != 0 && Environment.TickCount64 - _warnedAt >= 3_600_000)
            {
                _warnedAt = Environment.TickCount64;
                _log.Warn("per-VM usage series left out of the metrics: {0} VMs report usage, above metrics-vm-usage-max {1}", vms, max);
            }
            return;
        }
        // One family at a time (a family's samples follow its HELP and TYPE): a walk over the hosts each.
        foreach (var (name, type, help, counter, scale) in Families)
        {
            w.Family(name, type, help);
            inventory.VisitVmUsage((host, vm, usage) =>
            {
                if (!usage.Newest.Has(counter)) return;
                var sample = w.Sample(name).Label("host", host).Label("vm", System.Text.Encoding.UTF8.GetString(vm.NameUtf8)).Label("uuid", vm.Uuid.ToString());
                ulong value = usage.Newest[counter];
                if (scale == 1) sample.Value((long)Math.Min(value, long.MaxValue));
                else sample.Value(value * scale);
            });
        }
    }
}

/// <summary>The ingest counters of USAGE datagrams (spec §16.3).</summary>
internal static class UsageMetrics
{
    public static void WriteIngest(MetricsWriter w, IngestCounters c)
    {
        w.Single("vmm_usage_datagrams_accepted_total", MetricType.Counter, "USAGE datagrams applied (their boot was the host's current one).", c.UsageAccepted);
        w.Single("vmm_usage_datagrams_stale_total", MetricType.Counter, "USAGE datagrams dropped: of a host not heard yet, or of a boot not its current one.", c.UsageStale);
        w.Single("vmm_usage_records_ignored_total", MetricType.Counter, "Usage records ignored: of a VM not held, or a sample not newer than the one held.", c.UsageRecordsIgnored);
    }
}
