// vmm-hostd's exposition (metrics-listen): what it is, its VMs by power, the requests it answered, its request-id
// cache, its connections and every bound of spec §12 beside its use, what its listener refused (TransportCounters),
// and libvirt (connection and call latency, MeasuredHypervisor). Names: prefix vmm_ (vmm_hostd_ where the controller
// has a family of the same meaning), base units, _total on counters.
using Vmm.Hosting.Metrics;
using Vmm.Protocol;
using Vmm.Protocol.Text;

namespace Vmm.Hostd.Internal;

internal sealed class HostdMetrics(HostdDaemon daemon) : IMetricsSource
{
    private readonly int[] _byPower = new int[(int)PowerState.Suspended + 1];

    /// <summary>
    /// The whole exposition, in order. Per-VM usage (issue 17's usage figures, read with virConnectGetAllDomainStats)
    /// goes here as one more source, after this one.
    /// </summary>
    public static IReadOnlyList<IMetricsSource> Sources(HostdDaemon daemon) =>
        [new ProcessMetrics("hostd", HostdSettings.Daemon.Version), new HostdMetrics(daemon), daemon.Hypervisor];

    public void Write(MetricsWriter w)
    {
        daemon.Publisher.CountByPower(_byPower);
        w.Family("vmm_hostd_vms", MetricType.Gauge, "VMs on this host by power state, as last read from libvirt.");
        for (int p = 0; p < _byPower.Length; p++) w.Sample("vmm_hostd_vms").Label("power", Names.Of((PowerState)p)).Value(_byPower[p]);
        w.Single("vmm_hostd_vm_refresh_overflows_total", MetricType.Counter,
            "VM re-reads that did not fit the refresher's inbox (each became a read of every VM).", daemon.Publisher.RefreshOverflows);
        w.Single("vmm_hostd_usage_samples_total", MetricType.Counter, "Usage samples read from libvirt and sent (spec §16; usage-interval).", daemon.Usage.Samples);
        w.Single("vmm_hostd_usage_datagrams_total", MetricType.Counter, "USAGE datagrams those samples took, to each controller.", daemon.Usage.Datagrams);
        w.Single("vmm_hostd_usage_failures_total", MetricType.Counter, "Usage samples skipped: libvirt failed, or did not answer within call-timeout.", daemon.Usage.Failures);

        var workers = daemon.Workers;
        w.Single("vmm_hostd_hypervisor_calls_queued", MetricType.Gauge, "Hypervisor calls waiting for a worker thread now.", workers.Queued);
        w.Single("vmm_hostd_hypervisor_threads", MetricType.Gauge, "Worker threads for blocking hypervisor calls now.", workers.Threads);
        w.Single("vmm_hostd_hypervisor_threads_max", MetricType.Gauge, "The most worker threads for hypervisor calls; past it calls queue.", workers.MaxThreads);

        var processor = daemon.Processor;
        processor.Metrics.Write(w, "vmm_hostd_requests_total",
            "Requests hostd answered, by request code and outcome (the ack code; replays from the request-id cache included).",
            "vmm_hostd_request_duration_seconds", "Time from a request's arrival at hostd's processor to its ACK, by request code.");
        var requests = processor.Counters;
        w.Single("vmm_hostd_requests_replayed_total", MetricType.Counter, "Requests answered from the request-id cache (a controller's retry).",
            Interlocked.Read(ref requests.Replayed));
        w.Single("vmm_hostd_replays_refused_total", MetricType.Counter, "Requests refused as replays: their id is older than the request-id window.",
            Interlocked.Read(ref requests.Replays));
        w.Single("vmm_hostd_request_cache_entries", MetricType.Gauge, "Finished requests held in the request-id cache.", processor.Cache.Count);
        w.Single("vmm_hostd_request_cache_max_entries", MetricType.Gauge, "The most finished requests the request-id cache holds (its window).",
            processor.Cache.Capacity);

        var server = daemon.Server;
        var limits = server.Limits;
        w.Single("vmm_hostd_connections", MetricType.Gauge, "Request connections open now.", server.Connections);
        w.Single("vmm_hostd_connections_max", MetricType.Gauge, "The most request connections at once (max-connections).", limits.MaxConnections);
        w.Single("vmm_hostd_connection_sources", MetricType.Gauge, "Sources (an IPv4 address or an IPv6 /64) with a request connection open now.", server.Sources);
        w.Single("vmm_hostd_connections_per_source_max", MetricType.Gauge, "The most request connections from one source (max-connections-per-source).",
            limits.MaxConnectionsPerSource);
        w.Single("vmm_hostd_requests_in_flight", MetricType.Gauge, "Requests taken and not answered yet, over every connection.", server.RequestsInFlight);
        w.Single("vmm_hostd_requests_per_connection_max", MetricType.Gauge, "The most requests in flight on one connection (max-requests-per-connection).",
            limits.MaxRequestsPerConnection);
        w.Single("vmm_hostd_handshake_timeout_seconds", MetricType.Gauge, "Time a new connection has to deliver its first authentic PDU (handshake-timeout).",
            limits.HandshakeTimeout.TotalSeconds);
        WriteTransport(w, server.Counters, limits);
        WriteLease(w, daemon.Lease, daemon.Fencer.Counters);
        if (daemon.Watchdog is { } watchdog) WriteWatchdog(w, watchdog);
    }

    // The lease and the fencer (spec §15): an alert on the time left falling, or on a fence, comes before a VM is missed.
    private static void WriteLease(MetricsWriter w, Lease lease, FenceCounters c)
    {
        long left = lease.RemainingMs;
        w.Single("vmm_hostd_lease_remaining_seconds", MetricType.Gauge,
            "Time until this host's lease lapses and its HA VMs are fenced; 0 once it has lapsed, or while no renewal has extended it.",
            left == long.MinValue ? 0 : Math.Max(0, left) / 1000.0);
        w.Single("vmm_hostd_fenced", MetricType.Gauge, "1 while this host says fenced (its lease lapsed and it fenced its HA VMs), until a renewal ends it.",
            lease.Fenced ? 1 : 0);
        w.Single("vmm_hostd_fence_rounds_total", MetricType.Counter, "Fence rounds run while the lease was lapsed (one a second while it stays so).",
            Interlocked.Read(ref c.Rounds));
        w.Single("vmm_hostd_fenced_vms_total", MetricType.Counter, "HA VMs destroyed or paused (fence-pause) by fencing.", Interlocked.Read(ref c.Vms));
        w.Single("vmm_hostd_fence_failures_total", MetricType.Counter,
            "Fence rounds that failed: the hypervisor was unreachable or did not answer in call-timeout (with a watchdog the machine then resets).",
            Interlocked.Read(ref c.Failures));
    }

    // Only with watchdog-device set: a host without one has nothing to say here.
    private static void WriteWatchdog(MetricsWriter w, Watchdog watchdog)
    {
        var c = watchdog.Counters;
        w.Single("vmm_hostd_watchdog_timeout_seconds", MetricType.Gauge, "The watchdog device's timeout (watchdog-timeout, as the device took it).", watchdog.TimeoutMs / 1000.0);
        w.Single("vmm_hostd_watchdog_pets_total", MetricType.Counter, "Pets written to the watchdog device.", Interlocked.Read(ref c.Pets));
        w.Single("vmm_hostd_watchdog_withheld_total", MetricType.Counter,
            "Times hostd stopped petting the watchdog: the lease had too little left, or lapsed with the HA VMs not fenced yet.", Interlocked.Read(ref c.Withheld));
        w.Single("vmm_hostd_watchdog_failures_total", MetricType.Counter, "Pets the watchdog device refused.", Interlocked.Read(ref c.Failures));
    }

    private static void WriteTransport(MetricsWriter w, TransportCounters t, ConnectionLimits limits)
    {
        w.Family("vmm_hostd_requests_turned_away_total", MetricType.Counter,
            "Requests the listener answered itself, before the processor, by reason: busy (max-requests-per-connection), refused (hostd stopping).");
        w.Sample("vmm_hostd_requests_turned_away_total").Label("reason", "busy").Value(Interlocked.Read(ref t.Busy));
        w.Sample("vmm_hostd_requests_turned_away_total").Label("reason", "refused").Value(Interlocked.Read(ref t.Refused));
        w.Single("vmm_hostd_bad_pdus_total", MetricType.Counter, "Authentic REQUESTs whose body did not parse (answered with an error ACK).", Interlocked.Read(ref t.BadPdus));
        w.Single("vmm_hostd_stream_errors_total", MetricType.Counter, "Connections ended by a stream error (bad framing, failed authentication).", Interlocked.Read(ref t.StreamErrors));
        w.Family("vmm_hostd_connections_closed_total", MetricType.Counter,
            "Request connections refused or closed by a bound, by reason: refused (max-connections, max-connections-per-source), evicted (displaced by a newer one before it sent an authentic PDU), handshake-timeout.");
        w.Sample("vmm_hostd_connections_closed_total").Label("reason", "refused").Value(Interlocked.Read(ref t.ConnectionsRefused));
        w.Sample("vmm_hostd_connections_closed_total").Label("reason", "evicted").Value(Interlocked.Read(ref t.ConnectionsEvicted));
        w.Sample("vmm_hostd_connections_closed_total").Label("reason", "handshake-timeout").Value(Interlocked.Read(ref t.HandshakeTimeouts));
        w.Single("vmm_hostd_read_pauses_total", MetricType.Counter, "Times a connection's requests were left unread because its ACKs were not being read.",
            Interlocked.Read(ref t.ReadPauses));
        w.Single("vmm_hostd_queued_ack_bytes", MetricType.Gauge, "ACK bytes queued and not yet written, over every connection.", Interlocked.Read(ref t.QueuedAckBytes));
        w.Single("vmm_hostd_queued_ack_bytes_peak", MetricType.Gauge, "The most ACK bytes any one connection has had queued at once.", Interlocked.Read(ref t.QueuedAckBytesPeak));
        w.Single("vmm_hostd_queued_ack_bytes_per_connection_max", MetricType.Gauge, "The most ACK bytes queued for one connection before its requests are no longer read (max-queued-ack-bytes).",
            limits.MaxQueuedAckBytes);
    }
}
