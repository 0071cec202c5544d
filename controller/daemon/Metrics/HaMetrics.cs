// HA for Prometheus (spec §15): the renewals this controller sends and what the hosts answered, the leases it holds,
// and the HA restarts it made. An alert on renewals going unanswered, or on restarts given up, fires before an
// operator finds a VM that stayed down.
using Vmm.Controller.Ha;
using Vmm.Hosting.Metrics;

namespace Vmm.Controller.Metrics;

internal sealed class HaMetrics(LeaseKeeper keeper, LeaseBook book, HaRestarter restarter) : IMetricsSource
{
    private const string Renewals = "vmm_controller_lease_renewals_total", Restarts = "vmm_controller_ha_restarts_total";

    public void Write(MetricsWriter w)
    {
        var renewals = keeper.Counts;
        w.Family(Renewals, MetricType.Counter,
            "Lease renewals sent to hosts, by answer: granted, refused (another controller holds the lease), unanswered (timeout, unreachable, another error).");
        w.Sample(Renewals).Label("outcome", "granted").Value(renewals.Granted);
        w.Sample(Renewals).Label("outcome", "refused").Value(renewals.Refused);
        w.Sample(Renewals).Label("outcome", "unanswered").Value(renewals.Unanswered);
        w.Single("vmm_controller_lease_renewals_again_total", MetricType.Counter,
            "Renewals sent at once because the grant before extended nothing (a first renewal, or a hostd that started without its lease file).",
            renewals.Again);
        var leases = book.Census();
        w.Single("vmm_controller_leases_held", MetricType.Gauge, "Hosts whose lease this controller holds: only their HA VMs can it restart elsewhere.", leases.Held);
        w.Single("vmm_controller_leases_standby", MetricType.Gauge, "Hosts whose lease another controller holds: this one stands by for them.", leases.Standby);

        var c = restarter.Counters;
        w.Family(Restarts, MetricType.Counter,
            "HA restarts: VMs restarted on another host, attempts on a host that failed (the next host is tried), VMs given up on after ha-max-attempts.");
        w.Sample(Restarts).Label("outcome", "restarted").Value(Interlocked.Read(ref c.Restarted));
        w.Sample(Restarts).Label("outcome", "failed-attempt").Value(Interlocked.Read(ref c.FailedAttempts));
        w.Sample(Restarts).Label("outcome", "gave-up").Value(Interlocked.Read(ref c.GaveUp));
        w.Single("vmm_controller_ha_restarts_in_flight", MetricType.Gauge, "HA restarts under way now.", restarter.InFlight);
        w.Single("vmm_controller_ha_stale_copies_removed_total", MetricType.Counter,
            "Fenced copies removed from a host that came back, after their VM was restarted elsewhere.", Interlocked.Read(ref c.StaleRemoved));
        w.Single("vmm_controller_ha_paused_total", MetricType.Counter,
            "HA rounds held back because more than ha-max-down-percent of the hosts were down (this controller is likely cut off).",
            Interlocked.Read(ref c.Paused));
    }
}
