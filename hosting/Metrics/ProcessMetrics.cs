// What every daemon's exposition starts with: which build it is, and the process's own memory and CPU under the
// names Prometheus's client libraries use (process_*), so that the usual dashboards and alerts apply.
namespace Vmm.Hosting.Metrics;

/// <summary>vmm_build_info, process_resident_memory_bytes, process_cpu_seconds_total, process_start_time_seconds.</summary>
public sealed class ProcessMetrics(string daemon, string version) : IMetricsSource
{
    // Made as the daemon starts: close enough to the process's start for "restarted at" panels and alerts.
    private readonly double _started = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;

    public void Write(MetricsWriter w)
    {
        w.Family("vmm_build_info", MetricType.Gauge, "Always 1; the labels say which Vmm daemon and version this is.");
        w.Sample("vmm_build_info").Label("daemon", daemon).Label("version", version).Value(1);
        w.Single("process_resident_memory_bytes", MetricType.Gauge, "Resident memory of the process.", Environment.WorkingSet);
        w.Single("process_cpu_seconds_total", MetricType.Counter, "User and system CPU time of the process.", Environment.CpuUsage.TotalTime.TotalSeconds);
        w.Single("process_start_time_seconds", MetricType.Gauge, "When the daemon started, seconds since the Unix epoch.", _started);
    }
}
