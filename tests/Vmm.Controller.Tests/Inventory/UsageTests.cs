// Usage at the controller (spec §16.3, §16.4): samples per VM, rates, counter resets, what is ignored, and the bounds.
using Vmm.Controller.Admin;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

public sealed class UsageTests
{
    private static UsageCounters Counters(ulong cpuNs, ulong memKib = 0, ulong diskRead = 0, ulong netRx = 0)
    {
        var c = new UsageCounters();
        c.Set(AttrType.CpuTimeNs, cpuNs);
        if (memKib != 0) c.Set(AttrType.MemUsed, memKib);
        c.Set(AttrType.DiskReadBytes, diskRead);
        c.Set(AttrType.NetRxBytes, netRx);
        return c;
    }

    private static (Fleet Fleet, HostSim Host) WithOneVm()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        Assert.Equal(DropReason.None, fleet.Send(hv, hv.Event(Vms.Vm(1))));   // vm-1: 2 vCPUs
        return (fleet, hv);
    }

    [Fact]
    public void Two_samples_give_the_cpu_share_of_the_vms_vcpus_and_byte_rates()
    {
        var (fleet, hv) = WithOneVm();
        Assert.Equal(DropReason.None, fleet.Send(hv, hv.Usage(100_000, (Vms.Uuid(1), Counters(5_000_000_000, 1 << 20, 1000, 10)))));
        Assert.True(fleet.Vm(1)!.Usage!.Value.Growth.IsEmpty);   // no rate from one sample
        // 10 s later: 10 s of CPU time on 2 vCPUs is 50%; 1 MB read is 100 kB/s.
        Assert.Equal(DropReason.None, fleet.Send(hv, hv.Usage(110_000, (Vms.Uuid(1), Counters(15_000_000_000, 1 << 20, 1_001_000, 20_010)))));
        var usage = fleet.Vm(1)!.Usage!.Value;
        Assert.Equal(10_000UL, usage.SpanMs);
        Assert.Equal(10_000_000_000UL, usage.Growth[AttrType.CpuTimeNs]);
        Assert.Equal(1_000_000UL, usage.Growth[AttrType.DiskReadBytes]);
        Assert.Equal(20_000UL, usage.Growth[AttrType.NetRxBytes]);
        Assert.False(usage.Growth.Has(AttrType.MemUsed));   // memory is a level, not a counter
        Assert.Equal(1UL << 20, usage.Newest[AttrType.MemUsed]);

        var vm = AdminReplies.Vm(fleet.Vm(1)!);
        var delta = vm.Attributes.Find(AttrType.UsageDelta)!.Nested!;
        Assert.Equal(10_000_000UL, delta.Number(AttrType.DurationUs));
        Assert.Equal(10_000_000_000UL, delta.Number(AttrType.CpuTimeNs));
        Assert.Equal(15_000_000_000UL, vm.Attributes.Number(AttrType.CpuTimeNs));
    }

    [Fact]
    public void A_counter_that_goes_down_is_a_new_base_with_no_rate()
    {
        var (fleet, hv) = WithOneVm();
        fleet.Send(hv, hv.Usage(100_000, (Vms.Uuid(1), Counters(50_000_000_000))));
        fleet.Send(hv, hv.Usage(110_000, (Vms.Uuid(1), Counters(60_000_000_000))));
        Assert.Equal(10_000UL, fleet.Vm(1)!.Usage!.Value.SpanMs);
        // The VM was restarted: its process counts from 0 again. No negative rate, no rate at all until the next sample.
        fleet.Send(hv, hv.Usage(120_000, (Vms.Uuid(1), Counters(1_000_000_000))));
        Assert.Equal(0UL, fleet.Vm(1)!.Usage!.Value.SpanMs);
        Assert.True(fleet.Vm(1)!.Usage!.Value.Growth.IsEmpty);
        fleet.Send(hv, hv.Usage(130_000, (Vms.Uuid(1), Counters(3_000_000_000))));
        Assert.Equal(2_000_000_000UL, fleet.Vm(1)!.Usage!.Value.Growth[AttrType.CpuTimeNs]);
        // No VM reported its memory (the test driver's way): the host has no mem-used, not 0.
        Assert.Null(AdminReplies.Host(fleet.HostView("hv-01")).Attributes.Number(AttrType.MemUsed));
    }

    [Fact]
    public void A_sample_sent_twice_or_older_than_the_newest_changes_nothing()
    {
        var (fleet, hv) = WithOneVm();
        var first = hv.Usage(100_000, (Vms.Uuid(1), Counters(1_000_000_000)));
        var second = hv.Usage(110_000, (Vms.Uuid(1), Counters(2_000_000_000)));
        fleet.Send(hv, first);
        fleet.Send(hv, second);
        fleet.Send(hv, second);
        fleet.Send(hv, first);   // a replay, or a page overtaken by the next sample
        var usage = fleet.Vm(1)!.Usage!.Value;
        Assert.Equal(10_000UL, usage.SpanMs);
        Assert.Equal(1_000_000_000UL, usage.Growth[AttrType.CpuTimeNs]);
        Assert.Equal(2, fleet.Inventory.Counters.UsageRecordsIgnored);
    }

    [Fact]
    public void Usage_starts_nothing_a_host_not_heard_or_another_boot_is_dropped()
    {
        var fleet = new Fleet();
        var unknown = fleet.Host("hv-09");
        Assert.Equal(DropReason.Stale, fleet.Send(unknown, unknown.Usage(1, (Vms.Uuid(1), Counters(1)))));
        Assert.Null(fleet.Inventory.Host("hv-09"));

        var (f, hv) = WithOneVm();
        Assert.Equal(DropReason.Stale, f.Send(hv, hv.Usage(1, 0, 1, hv.Boot + 1, (Vms.Uuid(1), Counters(1)))));
        // A VM the host holds no record of: ignored, not added.
        Assert.Equal(DropReason.None, f.Send(hv, hv.Usage(2, (Vms.Uuid(7), Counters(1)))));
        Assert.Single(f.Inventory.Vms());
        Assert.Null(f.Vm(1)!.Usage);
        Assert.Equal(1, f.Inventory.Counters.UsageStale);
    }

    [Fact]
    public void A_forged_usage_is_refused_like_a_forged_state()
    {
        var (fleet, hv) = WithOneVm();
        var forged = hv.Usage(100_000, (Vms.Uuid(1), Counters(1)));
        forged[^1] ^= 1;
        Assert.Equal(DropReason.BadTag, fleet.Send(hv, forged));
        Assert.Null(fleet.Vm(1)!.Usage);
    }

    [Fact]
    public void Usage_older_than_three_intervals_is_not_shown()
    {
        var (fleet, hv) = WithOneVm();
        fleet.Send(hv, hv.Usage(100_000, (Vms.Uuid(1), Counters(1))));
        Assert.NotNull(fleet.Vm(1)!.Usage);
        fleet.Clock.Advance(TimeSpan.FromSeconds(29));
        fleet.Send(hv, hv.Event(Vms.Vm(1)));   // the host stays up
        Assert.NotNull(fleet.Vm(1)!.Usage);
        fleet.Clock.Advance(TimeSpan.FromSeconds(2));
        fleet.Send(hv, hv.Event(Vms.Vm(1)));
        Assert.Null(fleet.Vm(1)!.Usage);
    }

    [Fact]
    public void A_host_sums_its_vms_memory_and_cpu()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.Event(Vms.Vm(1), Vms.Vm(2)));
        fleet.Send(hv, hv.Usage(100_000, (Vms.Uuid(1), Counters(0, 1024)), (Vms.Uuid(2), Counters(0, 2048))));
        fleet.Send(hv, hv.Usage(110_000, (Vms.Uuid(1), Counters(10_000_000_000, 1024)), (Vms.Uuid(2), Counters(30_000_000_000, 2048))));
        var host = AdminReplies.Host(fleet.HostView("hv-01"));
        Assert.Equal(3072UL, host.Attributes.Number(AttrType.MemUsed));
        var delta = host.Attributes.Find(AttrType.UsageDelta)!.Nested!;
        Assert.Equal(10_000_000UL, delta.Number(AttrType.DurationUs));
        Assert.Equal(40_000_000_000UL, delta.Number(AttrType.CpuTimeNs));   // 4 of the host's 16 CPUs: 25%
    }
}
