using System.Runtime.CompilerServices;
using Vmm.Controller.Events;
using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>The event history's ring (spec §7.7): bounded, oldest evicted first, in id order, filtered, followed
/// without a gap or a repeat, and small per event.</summary>
public sealed class EventLogTests
{
    private static Event Request(string host, string vm, uint uid = 1000) =>
        new(EventKind.Request, host, Guid.Empty, vm, (byte)RequestCode.Start, AckCode.Success, uid, DurationUs: 1500);

    private static List<long> Ids(IEnumerable<Event> events) => events.Select(e => e.Id).ToList();

    [Fact]
    public void The_ring_holds_the_last_max_events_and_counts_the_evicted()
    {
        var log = new EventLog(5);
        for (int i = 0; i < 12; i++) log.Record(Request("hv-01", $"web-{i}"));
        Assert.Equal(5, log.Count);
        Assert.Equal(12, log.Recorded);
        Assert.Equal(7, log.Evicted);
        Assert.Equal(8, log.OldestId);
        var held = log.Find(new EventFilter());
        Assert.Equal([8, 9, 10, 11, 12], Ids(held));
        Assert.Equal("web-11", held[^1].Name);
    }

    [Fact]
    public void The_ring_grows_up_to_its_bound_keeping_order()
    {
        var log = new EventLog(1000);
        for (int i = 0; i < 1300; i++) log.Record(Request("hv-01", "web"));
        Assert.Equal(Enumerable.Range(301, 1000).Select(i => (long)i), Ids(log.Find(new EventFilter())));
        Assert.Equal(300, log.Evicted);
    }

    [Fact]
    public void Max_events_zero_keeps_nothing_but_counts()
    {
        var log = new EventLog(0);
        log.Record(Request("hv-01", "web"));
        Assert.Empty(log.Find(new EventFilter()));
        Assert.Equal(1, log.Recorded);
    }

    [Fact]
    public void Filters_by_host_vm_name_or_uuid_time_and_id()
    {
        long now = 1_000_000;
        var log = new EventLog(100, wallMs: () => now);
        var uuid = Guid.NewGuid();
        log.Record(Request("hv-01", "web-1"));
        now += 1000;
        log.Record(new Event(EventKind.Vm, "hv-02", uuid, "db-1", (byte)PowerState.Running));
        now += 1000;
        log.Record(Request("hv-02", "web-1", uid: 0));

        Assert.Equal([2, 3], Ids(log.Find(new EventFilter(Host: "hv-02"))));
        Assert.Equal([1, 3], Ids(log.Find(new EventFilter(Ref: "web-1"))));
        Assert.Equal([2], Ids(log.Find(new EventFilter(Ref: uuid.ToString()))));
        Assert.Equal([2, 3], Ids(log.Find(new EventFilter(SinceMs: 1_001_000))));
        Assert.Equal([3], Ids(log.Find(new EventFilter(AfterId: 2))));
        Assert.Equal([3], Ids(log.Find(new EventFilter(Host: "hv-02", Ref: "web-1"))));
        Assert.Empty(log.Find(new EventFilter(Host: "hv-03")));
    }

    [Fact]
    public void Events_carry_their_origin()
    {
        var log = new EventLog(10);
        log.Record(Request("hv-01", "web", uid: 1000));
        log.Record(new Event(EventKind.Decision, "hv-01", Text: "HA: restarting web"));
        var held = log.Find(new EventFilter());
        Assert.True(held[0].FromAdmin);
        Assert.Equal(1000u, held[0].Uid);
        Assert.False(held[1].FromAdmin);
    }

    [Fact]
    public void A_follower_gets_what_comes_after_the_events_held_without_gap_or_repeat()
    {
        var hub = new Inventory.WatchHub();
        var log = new EventLog(100, hub);
        log.Record(Request("hv-01", "web-1"));
        log.Record(Request("hv-02", "web-2"));
        var (follower, held) = log.Follow(new EventFilter(Host: "hv-01"), 1 << 20);
        using (follower)
        {
            Assert.Equal([1], Ids(held));
            log.Record(Request("hv-01", "web-1"));
            log.Record(Request("hv-02", "web-2"));
            log.Record(Request("hv-01", "web-3"));
            var got = new List<long>();
            while (follower.TryRead(out var c)) got.Add(((EventChange)c).Event.Id);
            Assert.Equal([3, 5], got);
            // A follower is no watch of the inventory: ingest does not copy out changes for it.
            Assert.False(hub.Watches("hv-01"));
            Assert.True(hub.Following);
        }
        Assert.False(hub.Following);
    }

    [Fact]
    public void A_watch_gets_no_events_and_a_follower_no_inventory_changes()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        using var watch = fleet.Inventory.Watchers.Subscribe(1 << 20);
        var (follower, _) = fleet.Inventory.Events.Follow(new EventFilter(), 1 << 20);
        using (follower)
        {
            fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
            var changes = new List<Inventory.InventoryChange>();
            while (watch.TryRead(out var c)) changes.Add(c);
            Assert.DoesNotContain(changes, c => c is EventChange);
            var events = new List<Inventory.InventoryChange>();
            while (follower.TryRead(out var c)) events.Add(c);
            Assert.NotEmpty(events);
            Assert.All(events, e => Assert.IsType<EventChange>(e));
        }
    }

    [Fact]
    public async Task A_follower_that_does_not_read_is_dropped_like_a_watch()
    {
        var hub = new Inventory.WatchHub();
        var log = new EventLog(10, hub);
        var (follower, _) = log.Follow(new EventFilter(), 4096);
        using (follower)
        {
            for (int i = 0; i < 1000; i++) log.Record(Request("hv-01", "web"));
            await Assert.ThrowsAsync<Inventory.WatcherOverflowException>(() => follower.Completion);
            Assert.Equal(1, hub.Overflows);
            Assert.False(hub.Following);
        }
    }

    [Fact]
    public void An_event_is_small()
    {
        // What one slot of the ring holds (its strings are shared with the inventory): 80 bytes on x64.
        Assert.Equal(80, Unsafe.SizeOf<Event>());
    }
}
