// hostd's exposition over a real daemon with the fake hypervisor: requests by code and outcome, hypervisor call
// latency, connections and bounds, VMs by power.
using System.Text;
using Vmm.Hosting.Metrics;
using Vmm.Hostd.Internal;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

public sealed class HostdMetricsTests
{
    private static string Render(HostdDaemon daemon)
    {
        using var buffer = new PooledBufferWriter();
        var w = new MetricsWriter(buffer);
        foreach (var s in HostdMetrics.Sources(daemon)) s.Write(w);
        return Encoding.UTF8.GetString(buffer.Written.Span);
    }

    [Fact]
    public async Task Requests_are_counted_by_code_and_outcome_and_hypervisor_calls_are_timed()
    {
        await using var f = new DaemonFixture(maxConnections: 9, maxPerSource: 3, maxQueuedAckBytes: 100_000);
        var vm = f.Hypervisor.Define("a");
        using var c = f.Connect();
        Assert.Equal(AckCode.Success, c.Call(new RequestPdu { RequestId = 0x0100000001, BootId = f.Boot, Code = RequestCode.Start, Vm = vm }).Code);
        Assert.Equal(AckCode.Success, c.Call(new RequestPdu { RequestId = 0x0100000002, BootId = f.Boot, Code = RequestCode.Ping }).Code);
        // A retry of the start: answered from the request-id cache.
        Assert.Equal(AckCode.Success, c.Call(new RequestPdu { RequestId = 0x0100000001, BootId = f.Boot, Code = RequestCode.Start, Vm = vm }).Code);
        Assert.Equal(AckCode.Failure, c.Call(new RequestPdu { RequestId = 0x0100000003, BootId = f.Boot ^ 1, Code = RequestCode.Stop, Vm = vm }).Code);

        var text = Render(f.Daemon);
        Assert.Contains("vmm_hostd_requests_total{code=\"start\",outcome=\"success\"} 2\n", text);
        Assert.Contains("vmm_hostd_requests_total{code=\"ping\",outcome=\"success\"} 1\n", text);
        Assert.Contains("vmm_hostd_requests_total{code=\"stop\",outcome=\"failure\"} 1\n", text);
        Assert.Contains("vmm_hostd_request_duration_seconds_count{code=\"start\"} 2\n", text);
        Assert.Contains("vmm_hostd_requests_replayed_total 1\n", text);
        Assert.Contains("vmm_hostd_request_cache_entries 1\n", text);
        // The start reached the hypervisor once (the retry did not); ping and the refused stop never did.
        Assert.Contains("vmm_libvirt_call_duration_seconds_count{call=\"start\"} 1\n", text);
        Assert.DoesNotContain("call=\"stop\"", text);
        Assert.Contains("vmm_libvirt_call_duration_seconds_count{call=\"read-all\"}", text);
        Assert.Contains("vmm_libvirt_connected 1\n", text);
        Assert.Contains("vmm_hostd_connections 1\n", text);
        Assert.Contains("vmm_hostd_connections_max 9\n", text);
        Assert.Contains("vmm_hostd_connections_per_source_max 3\n", text);
        Assert.Contains("vmm_hostd_queued_ack_bytes_per_connection_max 100000\n", text);
        Assert.Contains("vmm_build_info{daemon=\"hostd\",version=\"", text);
    }

    [Fact]
    public async Task The_watchdog_is_shown_only_when_there_is_one_and_its_pets_are_counted()
    {
        await using (var none = new DaemonFixture())
            Assert.DoesNotContain("vmm_hostd_watchdog", Render(none.Daemon));
        string device = Path.Combine(Path.GetTempPath(), $"vmm-watchdog-{Guid.NewGuid():N}");
        File.WriteAllBytes(device, []);
        try
        {
            await using var f = new DaemonFixture(watchdogDevice: device);
            // A fresh hostd has no lease: it fences (nothing is HA here), then pets.
            Assert.True(SpinWait.SpinUntil(() => new FileInfo(device).Length > 0, TimeSpan.FromSeconds(20)), "no pet");
            var text = Render(f.Daemon);
            Assert.Contains("vmm_hostd_watchdog_timeout_seconds 3\n", text);
            Assert.Matches("vmm_hostd_watchdog_pets_total [1-9][0-9]*\n", text);
            Assert.Contains("vmm_hostd_watchdog_withheld_total 0\n", text);
            Assert.Contains("vmm_hostd_watchdog_failures_total 0\n", text);
        }
        finally
        {
            File.Delete(device);
        }
    }

    [Fact]
    public async Task The_lease_and_the_fences_are_shown()
    {
        var hypervisor = new FakeHypervisor();
        var ha = hypervisor.Define("db-01", PowerState.Running);
        hypervisor.Set(hypervisor.Get(ha)! with { Flags = VmFlags.Persistent | VmFlags.Ha });
        await using var f = new DaemonFixture(hypervisor: hypervisor);
        // A fresh hostd has no lease: it fences its running HA VM at once, and says fenced.
        f.ReceiveStateUntil(s => (s.Status & HostStatus.Fenced) != 0);
        var text = Render(f.Daemon);
        Assert.Contains("vmm_hostd_lease_remaining_seconds 0\n", text);
        Assert.Contains("vmm_hostd_fenced 1\n", text);
        Assert.Contains("vmm_hostd_fenced_vms_total 1\n", text);
        Assert.Matches("vmm_hostd_fence_rounds_total [1-9][0-9]*\n", text);
        Assert.Contains("vmm_hostd_fence_failures_total 0\n", text);

        using var c = f.Connect();
        var lease = new AttrList().Add(AttrType.Controller, "ctl-1").Add(AttrType.FenceAfterMs, 5000);
        var first = c.Call(new RequestPdu { RequestId = 0x0300000001, BootId = f.Boot, Code = RequestCode.Lease, Parameters = lease });
        var token = first.Results.Number(AttrType.LeaseToken)!.Value;
        c.Call(new RequestPdu { RequestId = 0x0300000002, BootId = f.Boot, Code = RequestCode.Lease, Parameters = [.. lease, new Attr { Type = AttrType.LeaseToken, Number = token }] });
        text = Render(f.Daemon);
        Assert.Matches("vmm_hostd_lease_remaining_seconds [1-5](\\.[0-9]+)?\n", text);
        Assert.Contains("vmm_hostd_fenced 0\n", text);
    }

    [Fact]
    public async Task VMs_are_counted_by_power_as_last_read()
    {
        await using var f = new DaemonFixture();
        var a = f.Hypervisor.Define("a");
        f.Hypervisor.Define("b");
        using (var c = f.Connect())
            Assert.Equal(AckCode.Success, c.Call(new RequestPdu { RequestId = 0x0200000001, BootId = f.Boot, Code = RequestCode.Start, Vm = a }).Code);
        f.ReceiveStateUntil(s => s.Vms.Any(v => v.Uuid == a && v.Power == PowerState.Running));
        var text = Render(f.Daemon);
        Assert.Contains("vmm_hostd_vms{power=\"running\"} 1\n", text);
        Assert.Contains("vmm_hostd_vms{power=\"off\"} 1\n", text);
        Assert.Contains("vmm_hostd_vms{power=\"paused\"} 0\n", text);
    }

    [Fact]
    public async Task Losing_the_hypervisor_shows_as_libvirt_disconnected()
    {
        await using var f = new DaemonFixture();
        f.Hypervisor.SetReachable(false);
        Assert.Contains("vmm_libvirt_connected 0\n", Render(f.Daemon));
    }
}
