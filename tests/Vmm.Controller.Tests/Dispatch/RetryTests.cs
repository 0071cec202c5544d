// Retries keep the request id (spec §7.1, §7.6): a lost connection, a busy host and an answer that cannot be
// trusted all lead to the same request going out again, so that the host can act on it at most once.
using Vmm.Controller.Dispatch;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using static Vmm.Controller.Tests.Dispatch.DispatchFixture;

namespace Vmm.Controller.Tests.Dispatch;

public sealed class RetryTests
{
    [Fact]
    public async Task A_connection_lost_after_the_request_was_read_sends_the_same_request_again_and_the_host_acts_once()
    {
        await using var host = new FakeHost(Key, (h, r) =>
        {
            // Act on the first arrival, then lose the connection before answering; answer a repeat from the cache.
            if (h.TryExecute(r.Pdu, AckCode.Success, new AttrList().Add(AttrType.Message, "started"), out var ack)) r.CloseConnection();
            else r.Answer(ack);
        });
        var log = new TestLog();
        await using var dispatcher = new Dispatcher(Keys, Options, log.Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Start, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Success, result.Code);
        Assert.Equal("started", result.Message());
        var arrivals = host.Arrivals.ToArray();
        Assert.Equal(2, arrivals.Length);
        Assert.Equal([1, 2], arrivals.Select(a => a.Connection));
        Assert.Equal(arrivals[0].Body, arrivals[1].Body);
        Assert.Equal(result.RequestId, arrivals[1].Pdu.RequestId);
        Assert.Equal(1, host.Executions[result.RequestId]);
        Assert.Contains(log.Lines, l => l.StartsWith("Warn lost the connection to hv1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_request_in_flight_on_a_lost_connection_goes_out_again()
    {
        const int count = 5;
        int dropped = 0;
        await using var host = new FakeHost(Key, (h, r) =>
        {
            h.TryExecute(r.Pdu, AckCode.Success, null, out var ack);
            // The first connection takes all five and then breaks; the second answers them.
            if (r.Connection == 1)
            {
                if (Interlocked.Increment(ref dropped) == count) r.CloseConnection();
                return;
            }
            r.Answer(ack);
        });
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger);

        var results = await Task.WhenAll(Enumerable.Range(0, count).Select(_ =>
            dispatcher.SendAsync(host.Target(), RequestCode.Pause, RequestFlags.None, Guid.NewGuid(), [], CancellationToken.None)));

        Assert.All(results, r => Assert.Equal(AckCode.Success, r.Code));
        var first = host.Arrivals.Where(a => a.Connection == 1).Select(a => a.Pdu.RequestId).Order();
        var again = host.Arrivals.Where(a => a.Connection == 2).Select(a => a.Pdu.RequestId).Order();
        Assert.Equal(first, again);
        Assert.All(results, r => Assert.Equal(1, host.Executions[r.RequestId]));
    }

    [Fact]
    public async Task Busy_is_retried_with_the_same_id_until_the_host_takes_the_request()
    {
        int arrivals = 0;
        await using var host = new FakeHost(Key, (h, r) =>
        {
            if (Interlocked.Increment(ref arrivals) <= 3) r.Answer(AckCode.Busy, new AttrList().Add(AttrType.Message, "vm is being stopped"));
            else r.Answer(AckCode.Success);
        });
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Pause, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Success, result.Code);
        Assert.Equal(4, host.Arrivals.Count);
        Assert.All(host.Arrivals, a => Assert.Equal(result.RequestId, a.Pdu.RequestId));
        Assert.Equal(1, host.Connections);
    }

    [Fact]
    public async Task Busy_past_the_retry_limit_is_reported_with_the_host_message()
    {
        await using var host = new FakeHost(Key, (h, r) => r.Answer(AckCode.Busy, new AttrList().Add(AttrType.Message, "vm is migrating")));
        await using var dispatcher = new Dispatcher(Keys, Options with { BusyRetries = 3 }, new TestLog().Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Pause, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Busy, result.Code);
        Assert.Equal("vm is migrating", result.Message());
        Assert.Equal(4, host.Arrivals.Count);
        Assert.Single(host.Arrivals.Select(a => a.Pdu.RequestId).Distinct());
    }

    [Fact]
    public async Task After_a_lost_connection_busy_means_the_request_may_be_in_progress_and_is_asked_again()
    {
        // hostd answers busy for an id it is still working on (§7.6): after the connection carrying the request
        // was lost, busy must not be reported as "try later" after BusyRetries, while the request runs.
        int arrivals = 0;
        await using var host = new FakeHost(Key, (h, r) =>
        {
            int n = Interlocked.Increment(ref arrivals);
            if (n == 1) r.CloseConnection();
            else if (n <= 6) r.Answer(AckCode.Busy, new AttrList().Add(AttrType.Message, "request is in progress"));
            else r.Answer(AckCode.Success);
        });
        await using var dispatcher = new Dispatcher(Keys, Options with { BusyRetries = 1 }, new TestLog().Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Migrate, RequestFlags.None, Vm,
            new AttrList().Add(AttrType.DestUri, "qemu+tcp://hv2/system"), CancellationToken.None);

        Assert.Equal(AckCode.Success, result.Code);
        Assert.Equal(7, host.Arrivals.Count);
    }

    [Fact]
    public async Task A_forged_ack_closes_the_connection_with_an_error_and_the_request_is_sent_again()
    {
        // A key of another id: one of the same id (1 in 256 of random keys) is refused as bad-tag instead.
        var forger = ClusterKey.Generate();
        while (forger.Id == Key.Id) forger = ClusterKey.Generate();
        await using var host = new FakeHost(Key, (h, r) =>
        {
            h.TryExecute(r.Pdu, AckCode.Success, new AttrList().Add(AttrType.Message, "genuine"), out var ack);
            if (r.Connection == 1) r.Answer(ack with { Results = new AttrList().Add(AttrType.Message, "forged") }, signWith: forger);
            else r.Answer(ack);
        });
        var log = new TestLog();
        await using var dispatcher = new Dispatcher(Keys, Options, log.Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Restart, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Success, result.Code);
        Assert.Equal("genuine", result.Message());
        Assert.Equal(2, host.Connections);
        Assert.Equal(2, host.Arrivals.Count);
        Assert.Single(host.Arrivals.Select(a => a.Pdu.RequestId).Distinct());
        await Eventually(() => !host.ErrorsReceived.IsEmpty, "the dispatcher's ERROR");
        Assert.Equal(ProtocolErrorCode.WrongKey, Assert.Single(host.ErrorsReceived).Code);
        Assert.Contains(log.Lines, l => l.Contains("wrong-key", StringComparison.Ordinal) && l.StartsWith("Warn", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_altered_ack_is_refused_as_bad_tag()
    {
        await using var host = new FakeHost(Key, (h, r) =>
        {
            h.TryExecute(r.Pdu, AckCode.Success, null, out var ack);
            if (r.Connection > 1)
            {
                r.Answer(ack);
                return;
            }
            // Signed correctly, then one result byte flipped on the way.
            var bytes = PduCodec.ToBytes(ack with { Results = new AttrList().Add(AttrType.Message, "xyz") }, Key);
            bytes[^17] ^= 0x01;
            r.AnswerRaw(bytes);
        });
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Start, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Success, result.Code);
        Assert.Null(result.Message());
        await Eventually(() => !host.ErrorsReceived.IsEmpty, "the dispatcher's ERROR");
        Assert.Equal(ProtocolErrorCode.BadTag, Assert.Single(host.ErrorsReceived).Code);
    }

    [Fact]
    public async Task An_error_from_the_host_is_logged_and_the_request_goes_out_on_a_new_connection()
    {
        await using var host = new FakeHost(Key, (h, r) =>
        {
            if (r.Connection == 1) r.Fail(ProtocolErrorCode.BadTag, "authentication tag does not verify");
            else r.Answer(AckCode.Success);
        });
        var log = new TestLog();
        await using var dispatcher = new Dispatcher(Keys, Options, log.Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Start, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Success, result.Code);
        Assert.Equal(2, host.Connections);
        Assert.Contains(log.Lines, l => l.StartsWith("Warn hv1", StringComparison.Ordinal)
            && l.Contains("sent ERROR bad-tag: authentication tag does not verify", StringComparison.Ordinal)
            && !l.Contains("unverified", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_cancelled_caller_gets_cancellation_and_frees_its_slot()
    {
        await using var host = new FakeHost(Key, (h, r) =>
        {
            if (r.Pdu.Code == RequestCode.Ping) r.Answer(AckCode.Success);
        });
        await using var dispatcher = new Dispatcher(Keys, Options with { MaxInFlightPerHost = 1 }, new TestLog().Logger);
        using var cancel = new CancellationTokenSource();

        var waiting = dispatcher.SendAsync(host.Target(), RequestCode.Start, RequestFlags.None, Vm, [], cancel.Token);
        await Eventually(() => host.Arrivals.Count == 1, "the request to arrive");
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        var ping = await dispatcher.SendAsync(host.Target(), RequestCode.Ping, RequestFlags.None, Guid.Empty, [], CancellationToken.None);
        Assert.Equal(AckCode.Success, ping.Code);
    }
}
