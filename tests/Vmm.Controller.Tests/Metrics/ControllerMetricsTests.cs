using System.Text;
using NLog;
using Vmm.Controller.Admin;
using Vmm.Controller.Dispatch;
using Vmm.Controller.Ha;
using Vmm.Controller.Metrics;
using Vmm.Controller.Placement;
using Vmm.Hosting.Metrics;
using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>The controller's exposition, fed through the real ingest path: hosts, VMs, datagrams, bounds.</summary>
public sealed class ControllerMetricsTests
{
    private static string Render(IReadOnlyList<IMetricsSource> sources)
    {
        using var buffer = new PooledBufferWriter();
        var w = new MetricsWriter(buffer);
        foreach (var s in sources) s.Write(w);
        return Encoding.UTF8.GetString(buffer.Written.Span);
    }

    private static async Task<string> ExpositionOf(Fleet fleet)
    {
        await using var dispatcher = new Dispatcher(new HostKeys(Fleet.Key), new DispatchOptions { MaxInFlightPerHost = 7, MaxRecentRequests = 99 },
            LogManager.CreateNullLogger());
        await using var admin = new AdminServer(new AdminOptions { Path = "/nonexistent/never-bound.sock", MaxClients = 55, MaxClientsPerUid = 5 },
            fleet.Inventory, dispatcher, new Placer(), LogManager.CreateNullLogger());
        return Render(ControllerMetrics.Sources(fleet.Inventory, dispatcher, admin));
    }

    [Fact]
    public async Task Hosts_by_state_and_VMs_by_host_and_power_are_what_the_hosts_reported()
    {
        var fleet = new Fleet(new InventoryOptions { MaxHosts = 100, MaxVmsPerHost = 50 });
        var a = fleet.Host("hv-a");
        var b = fleet.Host("hv-b");
        b.Address = System.Net.IPAddress.Parse("192.0.2.11");
        fleet.Send(a, a.CompleteReport([Vms.Vm(1), Vms.Vm(2), Vms.Vm(3, PowerState.Off)]));
        fleet.Send(b, b.CompleteReport([Vms.Vm(4, PowerState.Paused)]));
        fleet.Send(b, b.Stopping());

        var text = await ExpositionOf(fleet);
        Assert.Contains("vmm_hosts{state=\"up\"} 1\n", text);
        Assert.Contains("vmm_hosts{state=\"stopped\"} 1\n", text);
        Assert.Contains("vmm_hosts{state=\"down\"} 0\n", text);
        Assert.Contains("vmm_vms{host=\"hv-a\",power=\"running\"} 2\n", text);
        Assert.Contains("vmm_vms{host=\"hv-a\",power=\"off\"} 1\n", text);
        Assert.Contains("vmm_vms{host=\"hv-b\",power=\"paused\"} 1\n", text);
        Assert.DoesNotContain("vmm_vms{host=\"hv-b\",power=\"running\"}", text);
        Assert.Contains("vmm_hosts_max 100\n", text);
        Assert.Contains("vmm_vms_per_host_max 50\n", text);
        Assert.Contains("# TYPE vmm_vms gauge\n", text);

        fleet.Silence(10);
        Assert.Contains("vmm_hosts{state=\"down\"} 1\n", await ExpositionOf(fleet));
    }

    [Fact]
    public async Task Leases_renewals_HA_restarts_and_fenced_hosts_are_counted()
    {
        var fleet = new Fleet();
        var a = fleet.Host("hv-a");
        var b = fleet.Host("hv-b");
        fleet.Send(a, a.CompleteReport([]));
        fleet.Send(b, b.Build(0, 0, 0, HostStatus.Fenced, null, []));
        var book = new LeaseBook();
        var options = new HaOptions { ControllerId = "ctl-1", FenceAfter = TimeSpan.FromSeconds(5) };
        var keeper = new LeaseKeeper(fleet.Inventory, new FakeDispatcher(), book, options, LogManager.CreateNullLogger());
        keeper.Apply("hv-a", new DispatchResult(AckCode.Success, 1, Guid.Empty, new AttrList().Add(AttrType.Controller, "ctl-1").Add(AttrType.LeaseToken, 7)), 1);
        keeper.Apply("hv-b", new DispatchResult(AckCode.Failure, 2, Guid.Empty, new AttrList().Add(AttrType.Controller, "ctl-2")), 1);
        keeper.Apply("hv-b", new DispatchResult(AckCode.Timeout, 3, Guid.Empty, []), 1);
        var restarter = new HaRestarter(fleet.Inventory, new FakeDispatcher(), book, new Placer(), options, LogManager.CreateNullLogger());
        restarter.Counters.Restarted = 3;
        restarter.Counters.GaveUp = 1;

        await using var dispatcher = new Dispatcher(new HostKeys(Fleet.Key), new DispatchOptions(), LogManager.CreateNullLogger());
        await using var admin = new AdminServer(new AdminOptions { Path = "/nonexistent/never-bound.sock" }, fleet.Inventory, dispatcher, new Placer(),
            LogManager.CreateNullLogger());
        var text = Render(ControllerMetrics.Sources(fleet.Inventory, dispatcher, admin, ha: new HaMetrics(keeper, book, restarter)));
        Assert.Contains("vmm_hosts_fenced 1\n", text);
        Assert.Contains("vmm_hosts_draining 0\n", text);
        Assert.Contains("vmm_controller_lease_renewals_total{outcome=\"granted\"} 1\n", text);
        Assert.Contains("vmm_controller_lease_renewals_total{outcome=\"refused\"} 1\n", text);
        Assert.Contains("vmm_controller_lease_renewals_total{outcome=\"unanswered\"} 1\n", text);
        Assert.Contains("vmm_controller_lease_renewals_again_total 0\n", text);
        Assert.Contains("vmm_controller_leases_held 1\n", text);
        Assert.Contains("vmm_controller_leases_standby 1\n", text);
        Assert.Contains("vmm_controller_ha_restarts_total{outcome=\"restarted\"} 3\n", text);
        Assert.Contains("vmm_controller_ha_restarts_total{outcome=\"gave-up\"} 1\n", text);
        Assert.Contains("# TYPE vmm_controller_ha_restarts_total counter\n", text);
        Assert.Contains("vmm_controller_ha_restarts_in_flight 0\n", text);
    }

    [Fact]
    public async Task Datagrams_are_counted_accepted_and_dropped_by_reason_and_by_host()
    {
        var fleet = new Fleet();
        var a = fleet.Host("hv-a");
        var first = a.Event(Vms.Vm(1));
        fleet.Send(a, first);
        Assert.Equal(DropReason.Duplicate, fleet.Send(a, first));
        var forged = a.Event(Vms.Vm(1));
        forged[^1] ^= 1;
        Assert.Equal(DropReason.BadTag, fleet.Send(a, forged));

        var text = await ExpositionOf(fleet);
        Assert.Contains("vmm_datagrams_accepted_total 1\n", text);
        Assert.Contains("vmm_datagrams_dropped_total{reason=\"duplicate\"} 1\n", text);
        Assert.Contains("vmm_datagrams_dropped_total{reason=\"bad-tag\"} 1\n", text);
        Assert.Contains("vmm_datagrams_dropped_total{reason=\"host-limit\"} 0\n", text);
        Assert.Contains("vmm_datagrams_unattributed_total 1\n", text);
        Assert.Contains("vmm_host_datagrams_accepted_total{host=\"hv-a\"} 1\n", text);
        // The forged datagram is charged to no host: only the duplicate, which authenticated, is the host's.
        Assert.Contains("vmm_host_datagrams_dropped_total{host=\"hv-a\"} 1\n", text);
    }

    [Fact]
    public async Task Every_bound_is_exposed_beside_its_use()
    {
        var fleet = new Fleet();
        using var watch = fleet.Inventory.Watchers.Subscribe(1 << 20);
        var text = await ExpositionOf(fleet);
        Assert.Contains("vmm_watchers 1\n", text);
        Assert.Contains($"vmm_watch_queue_max_bytes {fleet.Inventory.Options.MaxWatchQueueBytes}\n", text);
        Assert.Contains("vmm_controller_requests_in_flight_per_host_max 7\n", text);
        Assert.Contains("vmm_controller_recent_requests_max 99\n", text);
        Assert.Contains("vmm_admin_connections_max 55\n", text);
        Assert.Contains("vmm_admin_connections_per_uid_max 5\n", text);
        Assert.Contains("vmm_admin_refused_total{reason=\"refused\"} 0\n", text);
        Assert.Contains("vmm_build_info{daemon=\"controller\",version=\"", text);
    }

    [Fact]
    public async Task Every_family_has_HELP_and_TYPE_once_and_counters_end_in_total()
    {
        var fleet = new Fleet();
        var a = fleet.Host("hv-a");
        fleet.Send(a, a.CompleteReport([Vms.Vm(1)]));
        var text = await ExpositionOf(fleet);
        var types = text.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToList();
        Assert.Equal(types.Count, types.Select(t => t[2]).Distinct().Count());
        foreach (var t in types)
        {
            string name = t[2];
            Assert.True(name.StartsWith("vmm_", StringComparison.Ordinal) || name.StartsWith("process_", StringComparison.Ordinal), name);
            Assert.Contains($"# HELP {name} ", text);
            if (t[3] == "counter") Assert.EndsWith("_total", name);
        }
    }

    [Fact]
    public void Ingest_allocates_nothing_per_datagram_while_metrics_are_scraped()
    {
        var fleet = new Fleet();
        var hosts = Enumerable.Range(0, 10).Select(i => fleet.Host($"hv-{i:00}")).ToArray();
        var vms = Enumerable.Range(1, 20).Select(n => Vms.Vm(n)).ToArray();
        var rounds = Enumerable.Range(0, 8).Select(_ => hosts.Select(h => (h, pages: h.CompleteReport(vms, perPage: 5))).ToArray()).ToArray();
        var fleetMetrics = new FleetMetrics(fleet.Inventory);
        using var buffer = new PooledBufferWriter(1 << 20);
        void Run(int round)
        {
            foreach (var (h, pages) in rounds[round])
                foreach (var d in pages)
                    if (fleet.Ingest.Process(d, h.From) != DropReason.None) throw new InvalidOperationException("datagram dropped");
        }
        for (int r = 0; r < 4; r++) Run(r);
        long allocated = 0;
        for (int r = 4; r < rounds.Length; r++)
        {
            fleetMetrics.Write(new MetricsWriter(buffer));   // a scrape between rounds, as a real one would come
            long before = GC.GetAllocatedBytesForCurrentThread();
            Run(r);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.Equal(0, allocated);
        Assert.Equal(8 * 10 * 4, fleet.Inventory.Counters.Accepted);   // 8 rounds of 10 hosts' 4-page reports
    }
}
