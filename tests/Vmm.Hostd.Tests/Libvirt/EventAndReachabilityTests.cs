// Lifecycle events through VmChanged, and a hypervisor that cannot be reached.
using System.Collections.Concurrent;
using Vmm.Hostd.Libvirt;
using Vmm.Hostd.Tests.Support;
using Vmm.Hosting;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Libvirt;

public sealed class EventAndReachabilityTests
{
    [Fact]
    [Trait("Needs", "libvirt")]
    public async Task Lifecycle_changes_raise_VmChanged_with_the_vms_uuid()
    {
        using var node = TestNode.Default();
        var seen = new ConcurrentQueue<Guid>();
        node.Hypervisor.VmChanged += seen.Enqueue;
        node.Succeed(RequestCode.Pause, TestNode.DefaultDomain);
        await TestNode.Eventually(() => seen.Contains(TestNode.DefaultDomain), "the suspended event");

        var added = node.Succeed(RequestCode.Add, Guid.Empty, Requests.Add("evt")).Vm;
        await TestNode.Eventually(() => seen.Contains(added), "the defined event of a new VM");
    }

    [Fact]
    [Trait("Needs", "libvirt")]
    public void A_reachable_hypervisor_is_reachable_as_soon_as_RunAsync_returns()
    {
        using var node = TestNode.Default();
        Assert.True(node.Hypervisor.Reachable);
        Assert.Null(node.Hypervisor.UnreachableReason);
    }

    [Fact]
    [Trait("Needs", "libvirt")]
    public async Task An_unreachable_hypervisor_says_why_keeps_retrying_and_stops_when_cancelled()
    {
        var hv = new LibvirtHypervisor(new LibvirtOptions("test+unix:///default?socket=/nonexistent/sock", "vmm", "/nonexistent", null), NLog.LogManager.GetLogger("test"));
        using var stop = new CancellationTokenSource();
        var run = hv.RunAsync(stop.Token);

        Assert.False(hv.Reachable);
        Assert.Contains("/nonexistent/sock", hv.UnreachableReason);
        var e = Assert.Throws<HypervisorException>(hv.ReadAll);
        Assert.StartsWith("hypervisor unreachable", e.Message);
        var o = hv.Execute(new Vmm.Protocol.Pdus.RequestPdu { RequestId = 1, BootId = 1, Code = RequestCode.Start, Vm = Guid.NewGuid() });
        Assert.Equal(AckCode.Failure, o.Code);
        Assert.StartsWith("hypervisor unreachable", o.Results.Text(AttrType.Message));
        Assert.Empty(hv.ReadFacts());

        await Task.Delay(1500);   // at least one retry (the first comes after about 0.5 s)
        Assert.False(run.IsCompleted);
        Assert.False(hv.Reachable);

        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
        hv.Dispose();
    }

    [Fact]
    public void Backoff_doubles_to_its_cap_with_jitter_and_resets()
    {
        var b = new Backoff(LibvirtHypervisor.ReconnectFirst, LibvirtHypervisor.ReconnectCap);
        double[] nominal = [0.5, 1, 2, 4, 8, 16, 30, 30];
        foreach (var n in nominal)
        {
            var d = b.Next().TotalSeconds;
            Assert.InRange(d, n / 2, n);
        }
        b.Reset();
        Assert.InRange(b.Next().TotalSeconds, 0.25, 0.5);
    }
}
