// When no ACK comes: the controller's own answers, timeout (5) and unavailable (7) (spec §8.2), each with a
// message that names the host and says what is known about the request. Deadlines run on a manual clock.
using System.Net;
using System.Net.Sockets;
using Vmm.Controller.Dispatch;
using Vmm.Protocol;
using static Vmm.Controller.Tests.Dispatch.DispatchFixture;

namespace Vmm.Controller.Tests.Dispatch;

public sealed class FailureTests
{
    private readonly ManualTime _time = new();
    private readonly TestLog _log = new();

    private Dispatcher NewDispatcher(DispatchOptions options) => new(Keys, options, _log.Logger, _time);

    [Fact]
    public async Task No_answer_by_the_deadline_is_a_timeout_that_may_still_take_effect()
    {
        await using var host = new FakeHost(Key, (h, r) => { });
        await using var dispatcher = NewDispatcher(Options with { RequestTimeout = TimeSpan.FromSeconds(30) });

        var pending = dispatcher.SendAsync(host.Target(), RequestCode.Pause, RequestFlags.None, Vm, [], CancellationToken.None);
        await Eventually(() => host.Arrivals.Count == 1, "the request to arrive");
        _time.Advance(TimeSpan.FromSeconds(30));
        var result = await pending;

        Assert.Equal(AckCode.Timeout, result.Code);
        Assert.Equal(Vm, result.Vm);
        Assert.Equal(Assert.Single(host.Arrivals).Pdu.RequestId, result.RequestId);
        Assert.Equal("no answer from hv1 within 30 s; the request may still take effect", result.Message());
    }

    [Fact]
    public async Task Stop_waits_for_its_timeout_ms_plus_the_request_timeout()
    {
        await using var host = new FakeHost(Key, (h, r) => { });
        await using var dispatcher = NewDispatcher(Options with { RequestTimeout = TimeSpan.FromSeconds(30), LongRequestTimeout = TimeSpan.FromMinutes(10) });

        var pending = dispatcher.SendAsync(host.Target(), RequestCode.Stop, RequestFlags.None, Vm,
            new AttrList().Add(AttrType.TimeoutMs, 60_000), CancellationToken.None);
        await Eventually(() => host.Arrivals.Count == 1, "the request to arrive");
        _time.Advance(TimeSpan.FromSeconds(89));
        await Task.Delay(50);
        Assert.False(pending.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        var result = await pending;

        Assert.Equal(AckCode.Timeout, result.Code);
        Assert.Equal("no answer from hv1 within 90 s; the request may still take effect", result.Message());
    }

    [Fact]
    public async Task Nothing_listening_is_unavailable_naming_host_and_endpoint()
    {
        var endpoint = UnusedEndpoint();
        // One connect attempt only: the clock jumps to the deadline, and a second attempt, cut short by that
        // jump, would leave "no answer to connect" as the last error instead of the refusal.
        var oneAttempt = TimeSpan.FromHours(1);
        await using var dispatcher = NewDispatcher(Options with { ReconnectBackoffInitial = oneAttempt, ReconnectBackoffMax = oneAttempt });

        var pending = dispatcher.SendAsync(new HostTarget("hv9", endpoint, 7), RequestCode.Start, RequestFlags.None, Vm, [], CancellationToken.None);
        await Eventually(() => _log.Lines.Any(l => l.StartsWith($"Warn cannot connect to hv9 ({endpoint})", StringComparison.Ordinal)),
            "the failed connect to be logged");
        _time.Advance(Options.RequestTimeout);
        var result = await pending;

        Assert.Equal(AckCode.Unavailable, result.Code);
        Assert.Equal(Vm, result.Vm);
        Assert.StartsWith($"hv9 ({endpoint}) is unreachable: ", result.Message(), StringComparison.Ordinal);
        Assert.Contains("refused", result.Message(), StringComparison.OrdinalIgnoreCase);
        Assert.Single(_log.Lines, l => l.StartsWith("Warn cannot connect", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unreachable_host_is_tried_again_with_backoff_and_reached_when_it_comes_back()
    {
        var endpoint = UnusedEndpoint();
        await using var dispatcher = NewDispatcher(Options);

        var pending = dispatcher.SendAsync(new HostTarget("hv1", endpoint, 7), RequestCode.Start, RequestFlags.None, Vm, [], CancellationToken.None);
        await Eventually(() => _log.Lines.Any(l => l.StartsWith("Warn cannot connect", StringComparison.Ordinal)), "the failed connect");
        var listener = new TcpListener(endpoint);
        listener.Start();
        await using var host = new FakeHost(Key, (h, r) => r.Answer(AckCode.Success), listener);
        // Backoff runs on the manual clock: nudge it until the dispatcher tries again.
        await Eventually(() => { _time.Advance(TimeSpan.FromMilliseconds(10)); return pending.IsCompleted; }, "the request to get through");

        Assert.Equal(AckCode.Success, (await pending).Code);
    }

    [Fact]
    public async Task A_host_that_goes_away_after_reading_the_request_is_a_timeout_not_unavailable()
    {
        await using var host = new FakeHost(Key, (h, r) =>
        {
            h.StopListening();
            r.CloseConnection();
        });
        await using var dispatcher = NewDispatcher(Options with { RequestTimeout = TimeSpan.FromSeconds(60) });

        var pending = dispatcher.SendAsync(host.Target(), RequestCode.Start, RequestFlags.None, Vm, [], CancellationToken.None);
        await Eventually(() => host.Arrivals.Count == 1, "the request to arrive");
        await Eventually(() =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(10));
            return _log.Lines.Any(l => l.StartsWith("Warn cannot connect", StringComparison.Ordinal));
        }, "the dispatcher to try to reconnect");
        _time.Advance(TimeSpan.FromSeconds(60));
        var result = await pending;

        Assert.Equal(AckCode.Timeout, result.Code);
        Assert.Single(host.Arrivals);
        Assert.StartsWith("no answer from hv1 within 60 s: the connection was lost and reconnecting failed (", result.Message(), StringComparison.Ordinal);
        Assert.EndsWith("; the request may still take effect", result.Message(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_waiting_for_a_slot_past_its_deadline_is_never_sent()
    {
        await using var host = new FakeHost(Key, (h, r) => { });
        var dispatcher = NewDispatcher(Options with { MaxInFlightPerHost = 1, RequestTimeout = TimeSpan.FromSeconds(30), LongRequestTimeout = TimeSpan.FromMinutes(10) });

        // A long request (migrate) holds the only slot while a quick one waits past its deadline.
        var first = dispatcher.SendAsync(host.Target(), RequestCode.Migrate, RequestFlags.None, Vm,
            new AttrList().Add(AttrType.DestUri, "qemu+tcp://hv2/system"), CancellationToken.None);
        await Eventually(() => host.Arrivals.Count == 1, "the first request to arrive");
        var pending = dispatcher.SendAsync(host.Target(), RequestCode.Start, RequestFlags.None, Guid.NewGuid(), [], CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(30));
        var second = await pending;

        Assert.Equal(AckCode.Timeout, second.Code);
        Assert.Equal(0UL, second.RequestId);
        Assert.Equal("not sent to hv1: its 1 request slots stayed taken for 30 s", second.Message());
        Assert.Single(host.Arrivals);
        Assert.False(first.IsCompleted);
        await dispatcher.DisposeAsync();
        Assert.Equal(AckCode.Timeout, (await first).Code);
    }

    [Fact]
    public async Task Disposing_ends_waiting_requests_with_a_result_and_refuses_new_ones()
    {
        await using var host = new FakeHost(Key, (h, r) => { });
        var dispatcher = NewDispatcher(Options);

        var waiting = dispatcher.SendAsync(host.Target(), RequestCode.Start, RequestFlags.None, Vm, [], CancellationToken.None);
        await Eventually(() => host.Arrivals.Count == 1, "the request to arrive");
        await dispatcher.DisposeAsync();

        var result = await waiting;
        Assert.Equal(AckCode.Timeout, result.Code);
        Assert.Equal("the controller stopped before hv1 answered; the request may still take effect", result.Message());
        await Eventually(() => host.ClosedConnections == 1, "the connection to close");
        var late = await dispatcher.SendAsync(host.Target(), RequestCode.Start, RequestFlags.None, Vm, [], CancellationToken.None);
        Assert.Equal(AckCode.Unavailable, late.Code);
        Assert.Single(host.Arrivals);
    }

    // A port that was just free: bound, then released, so a connect to it is refused.
    private static IPEndPoint UnusedEndpoint()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        listener.Stop();
        return endpoint;
    }
}
