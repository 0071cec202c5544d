// The dispatcher's ordinary path: what it sends, what it returns, and how it shares a host's connection.
using Vmm.Controller.Dispatch;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using static Vmm.Controller.Tests.Dispatch.DispatchFixture;

namespace Vmm.Controller.Tests.Dispatch;

public sealed class DispatcherTests
{
    [Fact]
    public async Task Success_returns_the_host_ack_and_the_request_carries_what_was_asked()
    {
        await using var host = new FakeHost(Key, (h, r) => r.Answer(AckCode.Success,
            new AttrList().Add(AttrType.Message, "stopped").Add(AttrType.DurationUs, 1234)));
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger);
        var parameters = new AttrList().Add(AttrType.TimeoutMs, 15000);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Stop, RequestFlags.Force, Vm, parameters, CancellationToken.None);

        var arrival = Assert.Single(host.Arrivals);
        var sent = arrival.Pdu;
        Assert.Equal(((ulong)dispatcher.Origin << 32) | 1, sent.RequestId);
        Assert.Equal(host.BootId, sent.BootId);
        Assert.Equal(RequestCode.Stop, sent.Code);
        Assert.Equal(RequestFlags.Force, sent.Flags);
        Assert.Equal(Vm, sent.Vm);
        Assert.Equal(parameters, sent.Parameters);

        Assert.Equal(AckCode.Success, result.Code);
        Assert.Equal(sent.RequestId, result.RequestId);
        Assert.Equal(Vm, result.Vm);
        Assert.Equal("stopped", result.Message());
        Assert.Equal(1234UL, result.Results.Number(AttrType.DurationUs));
    }

    [Fact]
    public async Task The_ack_uuid_is_returned_so_add_learns_the_new_vm()
    {
        var created = Guid.Parse("11111111-2222-4333-8444-555555555555");
        await using var host = new FakeHost(Key, (h, r) => r.Answer(h.AckFor(r.Pdu, AckCode.Success) with { Vm = created }));
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Add, RequestFlags.None, Guid.Empty,
            new AttrList().Add(AttrType.Name, "web-1"), CancellationToken.None);

        Assert.Equal(AckCode.Success, result.Code);
        Assert.Equal(created, result.Vm);
        Assert.Null(Assert.Single(host.Arrivals).Pdu.Parameters.Number(AttrType.TimeoutMs));
    }

    [Fact]
    public async Task Pipelined_requests_share_one_connection_and_take_acks_in_any_order()
    {
        const int count = 12;
        var held = new List<FakeRequest>();
        await using var host = new FakeHost(Key, (h, r) =>
        {
            // Answer nothing until every request is in, then answer them last to first.
            lock (held)
            {
                held.Add(r);
                if (held.Count < count) return;
                for (int i = held.Count - 1; i >= 0; i--)
                    held[i].Answer(AckCode.Success, new AttrList().Add(AttrType.Message, held[i].Pdu.Vm.ToString()));
            }
        });
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger);
        var vms = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToArray();

        var results = await Task.WhenAll(vms.Select(vm =>
            dispatcher.SendAsync(host.Target(), RequestCode.Start, RequestFlags.None, vm, [], CancellationToken.None)));

        Assert.Equal(1, host.Connections);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(AckCode.Success, results[i].Code);
            Assert.Equal(vms[i], results[i].Vm);
            Assert.Equal(vms[i].ToString(), results[i].Message());
        }
        Assert.Equal(count, host.MaxOutstanding);
    }

    [Fact]
    public async Task Acks_that_no_request_waits_for_are_passed_over_and_the_connection_lives_on()
    {
        await using var host = new FakeHost(Key, (h, r) =>
        {
            // A late ACK of some earlier request, and one for a request the host could not read (id 0).
            r.Answer(h.AckFor(r.Pdu, AckCode.Success) with { RequestId = r.Pdu.RequestId + 1000 });
            r.Answer(h.AckFor(r.Pdu, AckCode.Failure, new AttrList().Add(AttrType.Message, "request body is malformed")) with { RequestId = 0 });
            r.Answer(AckCode.Success, new AttrList().Add(AttrType.Message, "mine"));
        });
        var log = new TestLog();
        await using var dispatcher = new Dispatcher(Keys, Options, log.Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Start, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal((AckCode.Success, "mine"), (result.Code, result.Message()));
        Assert.Equal(1, host.Connections);
        Assert.Contains(log.Lines, l => l == "Warn hv1 (" + host.Endpoint + ") could not read a request: request body is malformed");
    }

    [Fact]
    public async Task Request_ids_are_unique_across_many_concurrent_requests()
    {
        await using var host = new FakeHost(Key, (h, r) => r.Answer(AckCode.Success));
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger);

        var results = await Task.WhenAll(Enumerable.Range(0, 400).Select(_ => Task.Run(() =>
            dispatcher.SendAsync(host.Target(), RequestCode.Pause, RequestFlags.None, Guid.NewGuid(), [], CancellationToken.None))));

        var sentIds = host.Arrivals.Select(a => a.Pdu.RequestId).ToList();
        Assert.Equal(400, sentIds.Count);
        Assert.Equal(400, sentIds.Distinct().Count());
        Assert.All(sentIds, id => Assert.Equal(dispatcher.Origin, (uint)(id >> 32)));
        Assert.All(sentIds, id => Assert.InRange((uint)id, 1u, 400u));
        Assert.Equal(sentIds.Order(), results.Select(r => r.RequestId).Order());
        Assert.All(results, r => Assert.Equal(AckCode.Success, r.Code));
    }

    [Fact]
    public async Task At_most_the_configured_number_of_requests_are_in_flight_to_one_host()
    {
        const int bound = 3;
        var held = new List<FakeRequest>();
        await using var host = new FakeHost(Key, (h, r) =>
        {
            // Hold requests until the bound is reached, then release the batch a moment later: a dispatcher that
            // overran the bound would show a fourth request meanwhile.
            FakeRequest[] batch;
            lock (held)
            {
                held.Add(r);
                if (held.Count < bound) return;
                batch = [.. held];
                held.Clear();
            }
            _ = Task.Delay(20).ContinueWith(_ => { foreach (var b in batch) b.Answer(AckCode.Success); }, TaskScheduler.Default);
        });
        await using var dispatcher = new Dispatcher(Keys, Options with { MaxInFlightPerHost = bound }, new TestLog().Logger);

        var results = await Task.WhenAll(Enumerable.Range(0, 7 * bound).Select(_ =>
            dispatcher.SendAsync(host.Target(), RequestCode.Resume, RequestFlags.None, Guid.NewGuid(), [], CancellationToken.None)));

        Assert.All(results, r => Assert.Equal(AckCode.Success, r.Code));
        Assert.Equal(bound, host.MaxOutstanding);
        Assert.Equal(1, host.Connections);
    }

    [Fact]
    public async Task Hosts_are_told_apart_by_endpoint_each_with_its_own_connection()
    {
        await using var one = new FakeHost(Key, (h, r) => r.Answer(AckCode.Success, new AttrList().Add(AttrType.Message, "one")));
        await using var two = new FakeHost(Master.DeriveHostKey("hv2"), (h, r) => r.Answer(AckCode.Failure, new AttrList().Add(AttrType.Message, "two")));
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger);

        var a = await dispatcher.SendAsync(one.Target("hv1"), RequestCode.Start, RequestFlags.None, Vm, [], CancellationToken.None);
        var b = await dispatcher.SendAsync(two.Target("hv2"), RequestCode.Start, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal((AckCode.Success, "one"), (a.Code, a.Message()));
        Assert.Equal((AckCode.Failure, "two"), (b.Code, b.Message()));
        Assert.Equal((1, 1), (one.Connections, two.Connections));
        Assert.NotEqual(a.RequestId, b.RequestId);
    }

    [Fact]
    public async Task An_idle_connection_is_closed_and_the_next_request_opens_a_new_one()
    {
        var time = new ManualTime();
        await using var host = new FakeHost(Key, (h, r) => r.Answer(AckCode.Success));
        var log = new TestLog();
        await using var dispatcher = new Dispatcher(Keys, Options with { IdleTimeout = TimeSpan.FromSeconds(60) }, log.Logger, time);

        var first = await dispatcher.SendAsync(host.Target(), RequestCode.Ping, RequestFlags.None, Guid.Empty, [], CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(59));
        var second = await dispatcher.SendAsync(host.Target(), RequestCode.Ping, RequestFlags.None, Guid.Empty, [], CancellationToken.None);
        Assert.Equal(1, host.Connections);
        time.Advance(TimeSpan.FromSeconds(61));
        await Eventually(() => host.ClosedConnections == 1, "the dispatcher to close the idle connection");
        var third = await dispatcher.SendAsync(host.Target(), RequestCode.Ping, RequestFlags.None, Guid.Empty, [], CancellationToken.None);

        Assert.All([first, second, third], r => Assert.Equal(AckCode.Success, r.Code));
        Assert.Equal(2, host.Connections);
        Assert.Contains(log.Lines, l => l.StartsWith("Info closed the connection to hv1", StringComparison.Ordinal) && l.Contains("idle for 60 s"));
    }
}
