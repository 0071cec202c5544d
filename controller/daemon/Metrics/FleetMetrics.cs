// The fleet as the inventory holds it, for Prometheus: hosts by state, VMs by host and power, each host's datagram
// counters, and the inventory's bounds. One pass over the hosts, each counted under its own lock (HostCensus).
using Vmm.Controller.Inventory;
using Vmm.Hosting.Metrics;
using Vmm.Protocol;
using Vmm.Protocol.Text;

namespace Vmm.Controller.Metrics;

internal sealed class FleetMetrics(FleetInventory inventory) : IMetricsSource
{
    private const string Vms = "vmm_vms", Accepted = "vmm_host_datagrams_accepted_total", Dropped = "vmm_host_datagrams_dropped_total";

    // Reused by each scrape (one at a time: MetricsServer renders under a gate).
    private readonly int[] _hostsByState = new int[(int)HostState.Stopped + 1];

    public void Write(MetricsWriter w)
    {
        Array.Clear(_hostsByState);
        int fenced = 0, draining = 0;
        // The per-host families are gathered apart, since a family's samples must follow its own HELP and TYPE.
        using var vms = new PooledBufferWriter();
        using var accepted = new PooledBufferWriter();
        using var dropped = new PooledBufferWriter();
        var vmsOut = new MetricsWriter(vms);
        var acceptedOut = new MetricsWriter(accepted);
        var droppedOut = new MetricsWriter(dropped);
        inventory.CensusByHost(host =>
        {
            _hostsByState[(int)host.State]++;
            if (host.Fenced) fenced++;
            if (host.Draining) draining++;
            for (int p = 0; p < HostCensus.Powers; p++)
                if (host.Vms[p] != 0) vmsOut.Sample(Vms).Label("host", host.Name).Label("power", Names.Of((PowerState)p)).Value(host.Vms[p]);
            acceptedOut.Sample(Accepted).Label("host", host.Name).Value((long)host.Accepted);
            droppedOut.Sample(Dropped).Label("host", host.Name).Value((long)host.Dropped);
        });

        w.Family("vmm_hosts", MetricType.Gauge, "Hosts the inventory holds, by state (up, down, unreachable, stopped, unknown).");
        for (int s = 0; s < _hostsByState.Length; s++) w.Sample("vmm_hosts").Label("state", Names.Of((HostState)s)).Value(_hostsByState[s]);
        w.Single("vmm_hosts_fenced", MetricType.Gauge,
            "Hosts whose last datagram said fenced: their lease lapsed and they destroyed or paused their HA VMs (spec §15.3).", fenced);
        w.Single("vmm_hosts_draining", MetricType.Gauge, "Hosts marked draining: placement skips them (vmmctl host drain).", draining);
        w.Single("vmm_hosts_max", MetricType.Gauge, "The most hosts the inventory holds (max-hosts); datagrams naming more are dropped as host-limit.",
            inventory.Options.MaxHosts);
        w.Family(Vms, MetricType.Gauge, "VMs by host and by the power state their host last reported (a host not up shows its VMs' last known state).");
        w.Raw(vms.Written.Span);
        w.Single("vmm_vms_per_host_max", MetricType.Gauge, "The most VMs held per host (max-vms-per-host); records of further VMs are ignored.",
            inventory.Options.MaxVmsPerHost);
        w.Family(Accepted, MetricType.Counter, "STATE datagrams accepted from each host.");
        w.Raw(accepted.Written.Span);
        w.Family(Dropped, MetricType.Counter, "STATE datagrams of each host dropped after they authenticated (duplicate, stale, retired or competing boot).");
        w.Raw(dropped.Written.Span);
    }
}
