// Hedged sends (spec §7.6): a request unanswered after HedgeAfter goes out again, same id and bytes, on a fresh
// connection, so one connection stalled in TCP's retransmission backoff does not hold every request to its host.
// hostd's request-id cache keeps it at most once. The fresh connection is the link's spare when it has one: opened
// once the first is up and proven with a ping, so that a hedge pays no connect.
using Vmm.Controller.Dispatch;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using static Vmm.Controller.Tests.Dispatch.DispatchFixture;

namespace Vmm.Controller.Tests.Dispatch;

public sealed class HedgeTests
{
    // Without spares: each hedge connects afresh (the spares have a test of their own).
    private static DispatchOptions Hedging => Options with { HedgeAfter = TimeSpan.FromMilliseconds(100), SpareConnections = 0 };

    [Fact]
    public async Task A_request_stalled_on_its_connection_is_answered_through_a_fresh_one()
    {
        // The first connection takes requests and never answers (a stalled path); later ones answer.
        await using var host = new FakeHost(Key, (h, r) =>
        {
            if (r.Connection == 1) return;
            h.TryExecute(r.Pdu, AckCode.Success, null, out var ack);
            r.Answer(ack);
        });
        await using var dispatcher = new Dispatcher(Keys, Hedging, new TestLog().Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Pause, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Success, result.Code);
        var arrivals = host.Arrivals.ToArray();
        Assert.Equal([1, 2], arrivals.Select(a => a.Connection));
        Assert.Equal(arrivals[0].Body, arrivals[1].Body);
        Assert.Equal(1, host.Executions[result.RequestId]);

        // The fresh connection is the link's from now on: the next request goes there at once.
        var next = await dispatcher.SendAsync(host.Target(), RequestCode.Resume, RequestFlags.None, Vm, [], CancellationToken.None);
        Assert.Equal(AckCode.Success, next.Code);
        Assert.Equal(2, host.Arrivals.Last().Connection);
        Assert.Equal(3, host.Arrivals.Count);
    }

    [Fact]
    public async Task After_a_hedge_the_link_keeps_spares_proven_by_a_ping_and_the_next_hedge_takes_one_at_once()
    {
        // The first copy of every request stalls (a lossy path); pings and later copies are answered.
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<ulong, bool>();
        await using var host = new FakeHost(Key, (h, r) =>
        {
            if (r.Pdu.Code != RequestCode.Ping && seen.TryAdd(r.Pdu.RequestId, true)) return;
            h.TryExecute(r.Pdu, AckCode.Success, null, out var ack);
            r.Answer(ack);
        });
        // Hedged after 1 s: the spares are ready long before the second stall is hedged (a test machine may be slow).
        await using var dispatcher = new Dispatcher(Keys, Options with { HedgeAfter = TimeSpan.FromSeconds(1) }, new TestLog().Logger);
        var target = host.Target();

        // The first stall is hedged on a fresh connection (2); two spares follow that hedge, each pinged for any boot.
        Assert.Equal(AckCode.Success, (await dispatcher.SendAsync(target, RequestCode.Pause, RequestFlags.None, Vm, [], CancellationToken.None)).Code);
        Assert.Equal([1, 2], Requests(host).Select(a => a.Connection));
        await Eventually(() => host.Arrivals.Count(a => a.Pdu.Code == RequestCode.Ping) == 2, "a ping on each spare");
        var pings = host.Arrivals.Where(a => a.Pdu.Code == RequestCode.Ping).ToList();
        Assert.All(pings, p => Assert.Equal(0UL, p.Pdu.BootId));
        Assert.Equal([3, 4], pings.Select(p => p.Connection).Order());

        // The second stall is hedged on a spare: no connect between the stall and its hedge.
        var second = await dispatcher.SendAsync(target, RequestCode.Resume, RequestFlags.None, Vm, [], CancellationToken.None);
        Assert.Equal(AckCode.Success, second.Code);
        var copies = Requests(host).Where(a => a.Pdu.RequestId == second.RequestId).Select(a => a.Connection).ToList();
        Assert.Equal(2, copies[0]);
        Assert.Contains(copies[1], (int[])[3, 4]);
        Assert.Equal(1, host.Executions[second.RequestId]);
        await Eventually(() => host.Connections == 5, "a new spare after one was taken");
    }

    [Fact]
    public async Task A_hedge_answered_busy_waits_for_the_first_copy_which_the_host_does_once()
    {
        // The first copy is being worked on (slowly): the hedge is told busy, and the answer comes on the first connection.
        var release = new TaskCompletionSource();
        await using var host = new FakeHost(Key, (h, r) =>
        {
            if (r.Connection == 1)
            {
                h.TryExecute(r.Pdu, AckCode.Success, null, out var ack);
                _ = release.Task.ContinueWith(_ => r.Answer(ack), TaskScheduler.Default);
                return;
            }
            r.Answer(AckCode.Busy, new AttrList().Add(AttrType.Message, "still being worked on"));
            release.TrySetResult();
        });
        await using var dispatcher = new Dispatcher(Keys, Hedging with { MaxHedges = 1 }, new TestLog().Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Start, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Success, result.Code);
        Assert.Equal(1, host.Executions[result.RequestId]);
        Assert.Equal(2, host.Arrivals.Count);
    }

    [Fact]
    public async Task A_request_answered_in_time_is_sent_once()
    {
        await using var host = new FakeHost(Key, (h, r) => r.Answer(AckCode.Success));
        await using var dispatcher = new Dispatcher(Keys, Options with { HedgeAfter = TimeSpan.FromSeconds(10) }, new TestLog().Logger);

        for (int i = 0; i < 5; i++)
            Assert.Equal(AckCode.Success, (await dispatcher.SendAsync(host.Target(), RequestCode.Pause, RequestFlags.None, Vm, [], CancellationToken.None)).Code);

        Assert.Equal(5, Requests(host).Count);
        Assert.Equal(1, host.Connections);   // no stall, no spares
    }

    // What the host received but the spares' pings.
    private static List<Arrival> Requests(FakeHost host) => host.Arrivals.Where(a => a.Pdu.Code != RequestCode.Ping).ToList();

    [Fact]
    public async Task A_retired_connection_closes_once_what_it_carried_is_settled()
    {
        var release = new TaskCompletionSource();
        await using var host = new FakeHost(Key, (h, r) =>
        {
            // Connection 1 answers only once the hedge has arrived on connection 2.
            if (r.Connection == 1) _ = release.Task.ContinueWith(_ => r.Answer(AckCode.Success), TaskScheduler.Default);
            else
            {
                r.Answer(AckCode.Busy);
                release.TrySetResult();
            }
        });
        await using var dispatcher = new Dispatcher(Keys, Hedging with { MaxHedges = 1 }, new TestLog().Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Start, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Success, result.Code);
        await Eventually(() => host.ClosedConnections == 1, "the replaced connection to close");
        Assert.Equal(2, host.Connections);
    }
}
