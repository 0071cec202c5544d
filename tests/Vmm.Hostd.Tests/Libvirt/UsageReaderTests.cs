// Usage from libvirt's test driver (spec §16): virConnectGetAllDomainStats reports only the state of a test domain,
// so the CPU time comes from virDomainGetInfo, which the test driver makes the wall clock; off VMs are not sampled.
using Vmm.Hostd.Tests.Support;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Libvirt;

public sealed class UsageReaderTests
{
    [Fact]
    [Trait("Needs", "libvirt")]
    public void Every_active_vm_has_a_growing_cpu_time_and_an_off_one_none()
    {
        using var node = TestNode.FromFixture();
        // Active VMs are sampled (running, paused, and crashed ones whose process libvirt keeps), off ones not.
        var all = node.Hypervisor.ReadAll();
        Assert.Contains(all, v => v.Power == PowerState.Off);
        var running = all.Where(v => v.Power != PowerState.Off).Select(v => v.Uuid).Order().ToList();
        Assert.NotEmpty(running);
        var first = new List<VmUsageSample>();
        node.Hypervisor.ReadUsage(first);
        Assert.Equal(running, first.Select(s => s.Uuid).Order());
        Assert.All(first, s => Assert.True(s.Counters.Has(AttrType.CpuTimeNs)));

        Thread.Sleep(20);
        var second = new List<VmUsageSample>();
        node.Hypervisor.ReadUsage(second);
        foreach (var s in second)
            Assert.True(s.Counters[AttrType.CpuTimeNs] > first.Single(f => f.Uuid == s.Uuid).Counters[AttrType.CpuTimeNs]);
    }
}
