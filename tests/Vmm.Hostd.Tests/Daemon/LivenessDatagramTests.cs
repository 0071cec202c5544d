// The heartbeat loop's liveness datagrams (spec §6.5): how many each interval and when, on a clock the test moves
// (ManualTime), so that every slot of an interval is seen on its own.
using System.Diagnostics;
using Vmm.Controller.Tests.Dispatch;
using Vmm.Hostd.Internal;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

public sealed class LivenessDatagramTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    [Fact]
    public void Liveness_slots_make_up_the_shortfall_never_take_slot_0_and_are_spread_evenly()
    {
        for (int perInterval = 1; perInterval <= HeartbeatSlots.Max; perInterval++)
        {
            for (int report = 0; report <= HeartbeatSlots.Max + 2; report++)
            {
                var slots = Enumerable.Range(0, perInterval).Where(s => HeartbeatSlots.SendsLiveness(s, perInterval, report)).ToList();
                int extra = Math.Clamp(perInterval - Math.Max(report, 1), 0, perInterval - 1);
                Assert.Equal(extra, slots.Count);
                Assert.DoesNotContain(0, slots);
                // Slot 0 (the report) and the liveness slots, round the interval: no gap longer than an even share.
                int[] sending = [0, .. slots, perInterval];
                int longest = sending.Zip(sending.Skip(1), (a, b) => b - a).Max();
                Assert.True(longest <= (perInterval + extra) / (extra + 1),
                    $"{perInterval} slots, report of {report}: liveness in slots {string.Join(",", slots)}");
            }
        }
    }

    [Fact]
    public async Task A_one_page_host_sends_its_report_then_one_liveness_datagram_in_each_later_slot()
    {
        var time = new ManualTime();
        var hypervisor = new FakeHypervisor();
        hypervisor.Define("a", PowerState.Running);
        await using var f = new DaemonFixture(heartbeat: Interval, hypervisor: hypervisor, perInterval: 4, time: time);
        var first = f.ReceiveStateUntil(s => s.Pages == 1 && s.Vms.Count == 1);
        ulong sequence = first.Sequence;
        uint report = first.Report;
        foreach (var d in WarmUp(f, time, 4)) sequence = Math.Max(sequence, d.Sequence);

        for (int i = 1; i <= 8; i++)
        {
            var sent = NextSlot(f, time, 4);
            var d = Assert.Single(sent);   // one a slot: never a burst
            Assert.True(d.Sequence > sequence, "every datagram has a sequence of its own");
            sequence = d.Sequence;
            if (i % 4 == 0)
            {
                Assert.Equal((1, 1), (d.Pages, d.Vms.Count));
                Assert.True(d.Report > report);
                report = d.Report;
            }
            else
            {
                Assert.Equal((0, HostStatus.None), (d.Pages, d.Status));
                Assert.Empty(d.Vms);
                Assert.Equal(f.Boot, d.BootId);
            }
        }
    }

    [Fact]
    public async Task A_host_whose_report_has_enough_pages_sends_no_liveness_datagrams()
    {
        var time = new ManualTime();
        var hypervisor = new FakeHypervisor();
        var disks = new AttrList();
        for (int i = 0; i < 4; i++) disks.Add(new DiskInfo("vd" + (char)('a' + i), DiskBus.Virtio, DiskFlags.Owned, 10UL << 30));
        for (int i = 0; i < 120; i++) hypervisor.Define($"vm-{i:000}", PowerState.Running, disks);
        await using var f = new DaemonFixture(heartbeat: Interval, hypervisor: hypervisor, perInterval: 4, time: time);
        var first = f.ReceiveStateUntil(s => s.Pages > 0 && s.Page == s.Pages - 1);
        Assert.True(first.Pages >= 4, $"the fixture's report should take at least 4 pages, took {first.Pages}");
        WarmUp(f, time, 4);
        var perSlot = new List<int>();
        for (int i = 1; i <= 8; i++)
        {
            var sent = NextSlot(f, time, 4);
            Assert.All(sent, d => Assert.True(d.Pages > 0, "a liveness datagram from a host of many pages"));
            perSlot.Add(sent.Count);
        }
        Assert.Equal([0, 0, 0, first.Pages, 0, 0, 0, first.Pages], perSlot);
    }

    [Fact]
    public async Task While_the_hypervisor_is_unreachable_the_liveness_datagrams_say_so()
    {
        var time = new ManualTime();
        var hypervisor = new FakeHypervisor();
        hypervisor.Define("a");
        await using var f = new DaemonFixture(heartbeat: Interval, hypervisor: hypervisor, perInterval: 3, time: time);
        f.ReceiveStateUntil(s => s.Pages == 1);
        WarmUp(f, time, 3);
        hypervisor.SetReachable(false);
        for (int i = 1; i <= 6; i++)
        {
            var d = Assert.Single(NextSlot(f, time, 3));
            Assert.Equal((HostStatus.Unreachable, 0, 0), (d.Status, d.Pages, d.Vms.Count));
        }
    }

    // The loop's first slot and one whole interval more, taken together: the first report (sent as soon as the VMs are
    // read, apart from the loop) is out by then, and each slot that follows is the loop's alone.
    private static List<StatePdu> WarmUp(DaemonFixture f, ManualTime time, int perInterval)
    {
        var sent = AfterSlot(f, 1);
        for (int i = 0; i < perInterval; i++) sent.AddRange(NextSlot(f, time, perInterval));
        return sent;
    }

    // Moves the clock to the loop's next slot and takes what it sent.
    private static List<StatePdu> NextSlot(DaemonFixture f, ManualTime time, int perInterval)
    {
        long next = f.Daemon.Publisher.SlotsDone + 1;
        time.Advance(HeartbeatSlots.Length(Interval, perInterval));
        return AfterSlot(f, next);
    }

    // Waits until the heartbeat loop has finished slot number `slots` (counting from 1), then takes every datagram
    // it sent: loopback delivers a datagram before sendto returns, so what is not in the socket now was not sent.
    private static List<StatePdu> AfterSlot(DaemonFixture f, long slots)
    {
        var waited = Stopwatch.StartNew();
        while (f.Daemon.Publisher.SlotsDone < slots)
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException($"the heartbeat loop did not finish slot {slots}");
            Thread.Sleep(1);
        }
        var got = new List<StatePdu>();
        while (f.Controller.Available > 0) got.Add(f.ReceiveState());
        return got;
    }
}
