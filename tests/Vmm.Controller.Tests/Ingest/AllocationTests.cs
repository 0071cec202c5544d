using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>The ingest path allocates nothing per datagram once warmed up (heartbeats that change nothing,
/// and records that change in place), so 10,000 hosts cost CPU, not garbage.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Applying_heartbeats_allocates_nothing_after_warm_up()
    {
        var fleet = new Fleet();
        var hosts = Enumerable.Range(0, 20).Select(i => fleet.Host($"hv-{i:00}")).ToArray();
        var vms = Enumerable.Range(1, 30).Select(n => Vms.Vm(n)).ToArray();
        // Pre-build several reports per host (6 pages each), so the loop below only processes bytes.
        var rounds = Enumerable.Range(0, 6).Select(_ => hosts.Select(h => (h, pages: h.CompleteReport(vms, perPage: 5))).ToArray()).ToArray();

        void Run(int round)
        {
            foreach (var (h, pages) in rounds[round])
                foreach (var d in pages)
                    if (fleet.Ingest.Process(d, h.From) != DropReason.None) throw new InvalidOperationException("datagram dropped");
        }

        Run(0);
        Run(1);
        Allocations.NoneInSomeRound(Enumerable.Range(2, rounds.Length - 2), Run);
        Assert.Equal(20 * 30, fleet.Inventory.Vms().Count());
    }

    [Fact]
    public void Applying_usage_allocates_nothing_after_each_vm_had_a_sample()
    {
        // The goal: 10,000 hosts x 100 VMs with no allocation per USAGE datagram on the ingest path (spec §16).
        var fleet = new Fleet();
        var hosts = Enumerable.Range(0, 10).Select(i => fleet.Host($"hv-{i:00}")).ToArray();
        var vms = Enumerable.Range(1, 16).Select(n => Vms.Vm(n)).ToArray();
        foreach (var h in hosts) fleet.Send(h, h.CompleteReport(vms));
        var counters = new Vmm.Protocol.Pdus.UsageCounters();
        for (var t = Vmm.Protocol.Pdus.UsageCounters.First; t <= Vmm.Protocol.Pdus.UsageCounters.Last; t++) counters.Set(t, 1000);
        // Two pages of 8 records per host and sample, samples 10 s apart.
        var samples = Enumerable.Range(0, 8).Select(s => hosts.SelectMany(h => Enumerable.Range(0, 2).Select(p =>
            (h, d: h.Usage((ulong)(100_000 + s * 10_000), (ushort)p, 2, h.Boot,
                [.. vms.Skip(p * 8).Take(8).Select(v => (v.Uuid, Grown(counters, (ulong)s)))])))).ToArray()).ToArray();

        void Run(int s)
        {
            foreach (var (h, d) in samples[s])
                if (fleet.Ingest.Process(d, h.From) != DropReason.None) throw new InvalidOperationException("usage dropped");
        }

        for (int s = 0; s < 4; s++) Run(s);   // each VM's first sample makes its history; warm-up past tiering
        Allocations.NoneInSomeRound(Enumerable.Range(4, samples.Length - 4), Run);
        Assert.Equal(10 * 2 * 8, fleet.Inventory.Counters.UsageAccepted);
        Assert.Equal(0, fleet.Inventory.Counters.UsageRecordsIgnored);
    }

    private static Vmm.Protocol.Pdus.UsageCounters Grown(Vmm.Protocol.Pdus.UsageCounters c, ulong by)
    {
        for (var t = Vmm.Protocol.Pdus.UsageCounters.First; t <= Vmm.Protocol.Pdus.UsageCounters.Last; t++) c.Set(t, c[t] + by * 1_000_000);
        return c;
    }

    [Fact]
    public void Changed_records_of_the_same_size_are_overwritten_in_place()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        var events = Enumerable.Range(0, 200).Select(i => hv.Event(Vms.Vm(1, i % 2 == 0 ? PowerState.Running : PowerState.Paused))).ToArray();
        for (int i = 0; i < 100; i++) fleet.Ingest.Process(events[i], hv.From);
        Allocations.NoneInSomeRound([100, 125, 150, 175], start =>
        {
            for (int i = start; i < start + 25; i++) fleet.Ingest.Process(events[i], hv.From);
        });
        Assert.Equal(PowerState.Paused, fleet.Vm(1)!.ReportedPower); // the last of 200 alternating records
    }

    [Fact]
    public void A_watch_of_another_host_costs_this_hosts_changes_nothing()
    {
        // A watch of one host, or a request waiting to see its effect there (read-your-writes), must not make
        // ingest copy out the changes of every other host.
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        var other = fleet.Host("hv-02");
        other.Address = System.Net.IPAddress.Parse("192.0.2.11");
        fleet.Send(other, other.Event(Vms.Vm(2)));
        using var watch = fleet.Inventory.Watchers.Subscribe(1 << 20, host: "hv-02");
        var events = Enumerable.Range(0, 200).Select(i => hv.Event(Vms.Vm(1, i % 2 == 0 ? PowerState.Running : PowerState.Paused))).ToArray();
        for (int i = 0; i < 100; i++) fleet.Ingest.Process(events[i], hv.From);
        Allocations.NoneInSomeRound([100, 125, 150, 175], start =>
        {
            for (int i = start; i < start + 25; i++) fleet.Ingest.Process(events[i], hv.From);
        });
        Assert.False(watch.TryRead(out _));

        fleet.Send(other, other.Event(Vms.Vm(2, PowerState.Paused)));
        Assert.True(watch.TryRead(out var change));
        Assert.Equal("hv-02", change.Host);
    }

    [Fact]
    public void Forged_datagrams_allocate_nothing()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.Event());
        var forged = Enumerable.Range(0, 200).Select(_ =>
        {
            var d = hv.Event(Vms.Vm(1));
            d[^1] ^= 1;
            return d;
        }).ToArray();
        // Warm-up past the runtime's tiering threshold (30 calls), whose first trigger allocates once.
        for (int i = 0; i < 100; i++) fleet.Ingest.Process(forged[i], hv.From);
        Allocations.NoneInSomeRound([100, 125, 150, 175], start =>
        {
            for (int i = start; i < start + 25; i++) fleet.Ingest.Process(forged[i], hv.From);
        });
        Assert.Equal(200, fleet.Inventory.Counters.Dropped(DropReason.BadTag));
    }
}
