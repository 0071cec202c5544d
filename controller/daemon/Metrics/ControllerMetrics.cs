// vmm-controller's exposition (metrics-listen): what it is, the fleet, the datagrams it took in and dropped, the
// requests it sent to hosts, and every bound of spec §12 beside its use (hosts, VMs per host, watchers and their
// queues, admin connections, recent requests, requests in flight per host), so that an alert can fire before a
// bound is reached. Names: prefix vmm_, base units, _total on counters (prometheus.io/docs/practices/naming).
using Vmm.Controller.Admin;
using Vmm.Controller.Dispatch;
using Vmm.Controller.Inventory;
using Vmm.Hosting.Metrics;

namespace Vmm.Controller.Metrics;

internal sealed class ControllerMetrics(FleetInventory inventory, Dispatcher dispatcher, AdminServer admin) : IMetricsSource
{
    /// <summary>
    /// The whole exposition, in order. Per-VM usage comes after the fleet: it walks the same hosts, bounded by
    /// <paramref name="vmUsageMax"/> (metrics-vm-usage-max).
    /// </summary>
    public static IReadOnlyList<IMetricsSource> Sources(FleetInventory inventory, Dispatcher dispatcher, AdminServer admin,
        int vmUsageMax = ControllerSettings.DefaultMetricsVmUsageMax, HaMetrics? ha = null) =>
    [
        new ProcessMetrics("controller", ControllerSettings.Daemon.Version),
        new FleetMetrics(inventory),
        new VmUsageMetrics(inventory, vmUsageMax),
        new ControllerMetrics(inventory, dispatcher, admin),
        .. (ha is null ? Array.Empty<IMetricsSource>() : [ha]),
    ];

    public void Write(MetricsWriter w)
    {
        WriteIngest(w, inventory.Counters);
        dispatcher.Requests.Write(w, "vmm_controller_requests_total",
            "Requests the controller sent to hosts, by request code and outcome (the ack code, or timeout/unavailable/busy the controller decided).",
            "vmm_controller_request_duration_seconds", "Time from a request's start at the controller to its outcome, by request code.");
        WriteDispatch(w);
        WriteWatchers(w, inventory.Watchers);
        WriteEvents(w, inventory.Events);
        WriteAdmin(w);
    }

    private static void WriteIngest(MetricsWriter w, IngestCounters counters)
    {
        w.Single("vmm_datagrams_accepted_total", MetricType.Counter, "STATE datagrams applied to the inventory.", counters.Accepted);
        w.Family("vmm_datagrams_dropped_total", MetricType.Counter, "STATE datagrams dropped, by reason (the spec's error names, then duplicate, stale, retired-boot, competing-boot, host-limit).");
        foreach (var reason in DropReasons.All) w.Sample("vmm_datagrams_dropped_total").Label("reason", reason.Name()).Value(counters.Dropped(reason));
        w.Single("vmm_datagrams_unattributed_total", MetricType.Counter,
            "Dropped datagrams charged to no host: they failed framing, authentication or parsing before a host could be named.", counters.Unattributed);
        w.Single("vmm_vm_records_over_limit_total", MetricType.Counter, "VM records ignored because their host already held max-vms-per-host VMs.", counters.VmsOverLimit);
        w.Single("vmm_hosts_forgotten_total", MetricType.Counter, "Hosts forgotten after being silent for forget-after.", counters.Forgotten);
        w.Single("vmm_boots_adopted_total", MetricType.Counter, "New host boots adopted at once from an authenticated ACK.", counters.BootsAdopted);
    }

    private void WriteDispatch(MetricsWriter w)
    {
        var (links, inFlight) = dispatcher.Load();
        w.Single("vmm_controller_host_links", MetricType.Gauge, "Hosts the controller holds a request link to now (made on first use, dropped once idle).", links);
        w.Single("vmm_controller_requests_in_flight", MetricType.Gauge, "Requests holding one of their host's slots now, over every host.", inFlight);
        w.Single("vmm_controller_requests_in_flight_per_host_max", MetricType.Gauge, "The most requests in flight to one host (max-in-flight-per-host).",
            dispatcher.Options.MaxInFlightPerHost);
        var recent = dispatcher.Recent;
        w.Single("vmm_controller_recent_requests", MetricType.Gauge, "Requests kept to be sent again by id (vmmctl --request-id).", recent.Count);
        w.Single("vmm_controller_recent_requests_max", MetricType.Gauge, "The most requests kept to be sent again by id (max-recent-requests).", recent.Capacity);
        w.Single("vmm_controller_recent_requests_evicted_total", MetricType.Counter, "Requests dropped from that table to make room for newer ones.", recent.Evicted);
    }

    private void WriteWatchers(MetricsWriter w, WatchHub watchers)
    {
        w.Single("vmm_watchers", MetricType.Gauge, "Watches subscribed now (vmm watch clients, and requests waiting to see their effect).", watchers.Count);
        w.Single("vmm_watch_queued_bytes", MetricType.Gauge, "Bytes of changes queued for all watchers now (estimated).", watchers.QueuedBytes);
        w.Single("vmm_watch_queue_max_bytes", MetricType.Gauge, "The most bytes of changes one watcher may fall behind before it is dropped (max-watch-queue-kib).",
            inventory.Options.MaxWatchQueueBytes);
        w.Single("vmm_watchers_dropped_total", MetricType.Counter, "Watchers dropped because they fell a whole queue behind.", watchers.Overflows);
    }

    private static void WriteEvents(MetricsWriter w, Events.EventLog events)
    {
        w.Single("vmm_controller_events_total", MetricType.Counter, "Events recorded in the history (vmmctl events) since the controller started.", events.Recorded);
        w.Single("vmm_controller_events_stored", MetricType.Gauge, "Events the history holds now.", events.Count);
        w.Single("vmm_controller_events_max", MetricType.Gauge, "The most events the history holds (max-events).", events.Capacity);
        w.Single("vmm_controller_events_evicted_total", MetricType.Counter, "Events dropped from the history to make room for newer ones.", events.Evicted);
    }

    private void WriteAdmin(MetricsWriter w)
    {
        w.Single("vmm_admin_connections", MetricType.Gauge, "Admin socket connections served now.", admin.Sessions);
        w.Single("vmm_admin_connections_max", MetricType.Gauge, "The most admin socket connections (max-admin-connections; the last few kept for root).",
            admin.Options.MaxClients);
        w.Single("vmm_admin_connections_per_uid_max", MetricType.Gauge, "The most admin socket connections of one user (max-admin-connections-per-uid).",
            admin.Options.MaxClientsPerUid);
        w.Family("vmm_admin_refused_total", MetricType.Counter, "Admin connections refused or closed, by reason (refused: over a bound; idle; overload; bad-pdu).");
        foreach (var (reason, count) in admin.Refusals.ByReason()) w.Sample("vmm_admin_refused_total").Label("reason", reason).Value(count);
    }
}
