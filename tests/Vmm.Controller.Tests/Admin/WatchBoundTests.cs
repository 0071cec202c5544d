using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

/// <summary>
/// A watch client that does not read costs a bounded amount: its queue fills to max-watch-queue-kib, then it is
/// dropped (its queue emptied at once) and told RESULT unavailable (spec §7.4), which waits in its socket for
/// when it reads again.
/// </summary>
public sealed class WatchBoundTests
{
    private const long QueueBytes = 64 * 1024;

    private static AdminHarness Harness(TimeSpan lastAnswer) =>
        new(new InventoryOptions { MaxWatchQueueBytes = QueueBytes }, admin: new AdminOptions { LastAnswerLimit = lastAnswer });

    /// <summary>Sends events that change every one of 8 VMs of hv-a until a watcher has been dropped.</summary>
    private static async Task FloodUntilDropped(AdminHarness h)
    {
        var hv = h.Fleet.Host("hv-a");
        var watchers = h.Fleet.Inventory.Watchers;
        for (int round = 0; watchers.Overflows == 0; round++)
        {
            Assert.True(round < 1_000_000, "no watcher was ever dropped");
            var power = round % 2 == 0 ? PowerState.Paused : PowerState.Running;
            Assert.Equal(DropReason.None, h.Fleet.Send(hv, hv.Event(Enumerable.Range(1, 8).Select(n => Vms.Vm(n, power)).ToArray())));
            Assert.InRange(watchers.QueuedBytes, 0, QueueBytes);
            // Slowly enough that the session keeps up until the client's socket is full: the queue fills behind it.
            if (round % 16 == 0) await Task.Delay(1);
        }
        Assert.Equal(0, watchers.QueuedBytes); // the dropped queue was emptied at once
        Assert.Equal(0, watchers.Count);
    }

    [Fact]
    public void A_watcher_that_never_reads_holds_at_most_its_bound_then_is_dropped_and_emptied()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-a");
        var slow = fleet.Inventory.Watchers.Subscribe(QueueBytes);
        int round = 0;
        while (!slow.Completion.IsCompleted)
        {
            Assert.True(++round < 100_000, "the watcher was never dropped");
            fleet.Send(hv, hv.Event(Vms.Vm(1, round % 2 == 0 ? PowerState.Paused : PowerState.Running)));
            Assert.InRange(slow.QueuedBytes, 0, QueueBytes);
        }
        Assert.IsType<WatcherOverflowException>(slow.Completion.Exception?.InnerException);
        Assert.True(slow.Dropped.IsCancellationRequested);
        Assert.Equal((0L, 1L, 0), (slow.QueuedBytes, fleet.Inventory.Watchers.Overflows, fleet.Inventory.Watchers.Count));
        // About as many changes as the bound holds were queued: the bound is in bytes, not in changes.
        Assert.InRange(round, QueueBytes / 1024, QueueBytes / Watcher.CostOf(new VmChange(fleet.Vm(1)!)) + 2);
    }

    [Fact]
    public async Task A_watch_client_that_stops_reading_gets_RESULT_unavailable_once_its_queue_is_full()
    {
        await using var h = Harness(TimeSpan.FromSeconds(60));
        using var c = h.Connect();
        c.Send(new AdminQueryPdu { What = QueryKind.Watch });
        await Eventually.True(() => h.Fleet.Inventory.Watchers.Count == 1, "the watch to start");

        await FloodUntilDropped(h);

        // What was due before the drop, then one RESULT unavailable, then the connection closes.
        Pdu? pdu, last = null;
        int changes = 0;
        while ((pdu = await c.ReadAsync()) is not null)
        {
            if (pdu is AdminVmPdu or AdminHostPdu) changes++;
            last = pdu;
        }
        var result = Assert.IsType<AdminResultPdu>(last);
        Assert.Equal(AckCode.Unavailable, result.Code);
        Assert.Contains("dropped", result.Attributes.Text(AttrType.Message));
        Assert.True(changes > 0);
        Assert.Contains(h.Log, l => l.Contains("watch dropped"));
    }

    [Fact]
    public async Task A_paused_watch_client_is_let_go_at_once_and_finds_its_RESULT_when_it_reads_again()
    {
        // A client that reads nothing at all (a paused vmmctl) until long after its watch was dropped.
        await using var h = Harness(TimeSpan.FromSeconds(60));
        using var paused = h.Connect();
        paused.Send(new AdminQueryPdu { What = QueryKind.Watch });
        await Eventually.True(() => h.Fleet.Inventory.Watchers.Count == 1, "the watch to start");

        await FloodUntilDropped(h);

        // Its session ends without waiting out the 60 s limit: the RESULT fitted in the room kept for it.
        await Eventually.True(() => h.Server.Sessions == 0, "the paused client's session to end");
        Pdu? pdu, last = null;
        while ((pdu = await paused.ReadAsync()) is not null) last = pdu;
        var result = Assert.IsType<AdminResultPdu>(last);
        Assert.Equal(AckCode.Unavailable, result.Code);
        Assert.Contains(h.Log, l => l.Contains("watch dropped"));
        Assert.DoesNotContain(h.Log, l => l.Contains("watch closed"));
    }

    [Fact]
    public async Task Watch_clients_that_never_read_do_not_hold_up_a_stopping_controller()
    {
        var h = Harness(TimeSpan.FromMilliseconds(200));
        var clients = Enumerable.Range(0, 4).Select(_ => h.Connect()).ToList();
        foreach (var c in clients) c.Send(new AdminQueryPdu { What = QueryKind.Watch });
        await Eventually.True(() => h.Fleet.Inventory.Watchers.Count == clients.Count, "the watches to start");
        var hv = h.Fleet.Host("hv-a");
        // Enough to fill their sockets, not their queues.
        for (int round = 0; round < 400; round++)
            h.Fleet.Send(hv, hv.Event(Enumerable.Range(1, 8).Select(n => Vms.Vm(n, round % 2 == 0 ? PowerState.Paused : PowerState.Running)).ToArray()));

        await h.DisposeAsync(); // waits for the admin server to end
        Assert.True(h.Running.IsCompletedSuccessfully);
        foreach (var c in clients) c.Dispose();
    }
}
