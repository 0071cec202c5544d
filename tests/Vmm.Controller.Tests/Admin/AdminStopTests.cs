using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

/// <summary>A controller that stops (SIGTERM) answers what it has in hand instead of closing connections mutely.</summary>
public sealed class AdminStopTests
{
    private static (AdminHarness Harness, HostSim Host) WithHost()
    {
        var h = new AdminHarness();
        var b = h.Fleet.Host("hv-b");
        b.Facts = new AttrList().Add(AttrType.Cpus, 4).Add(AttrType.MemoryFree, 4UL << 20).Add(AttrType.Port, 7402);
        h.Fleet.Send(b, b.CompleteReport([Vms.Vm(3, name: "web-2")]));
        return (h, b);
    }

    [Fact]
    public async Task A_request_in_flight_when_the_controller_stops_is_answered_timeout_saying_so()
    {
        var (h, _) = WithHost();
        var sent = new TaskCompletionSource();
        // A host that never answers: only the controller's stop ends the wait.
        h.Dispatcher.AnswerAsync = async (_, cancel) =>
        {
            sent.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancel);
            throw new InvalidOperationException("unreachable");
        };
        using var c = h.Connect();
        c.Send(new AdminSubmitPdu { Code = RequestCode.Stop, Parameters = new AttrList().Add(AttrType.Ref, "web-2") });
        await sent.Task.WaitAsync(TimeSpan.FromSeconds(20));

        await h.DisposeAsync();
        var (_, result) = await c.ReplyAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(AckCode.Timeout, result.Code);
        Assert.Contains("controller stopped before the host answered", result.Attributes.Text(AttrType.Message));
        Assert.Null(await c.ReadAsync()); // and then the connection closes
    }

    [Fact]
    public async Task A_success_still_waiting_for_its_report_when_the_controller_stops_is_answered_success()
    {
        // Heartbeats 10 s apart: the wait for the host's report outlasts the stop.
        var h = new AdminHarness(new InventoryOptions { HeartbeatInterval = TimeSpan.FromSeconds(10) });
        var b = h.Fleet.Host("hv-b");
        b.Facts = new AttrList().Add(AttrType.Cpus, 4).Add(AttrType.MemoryFree, 4UL << 20).Add(AttrType.Port, 7402);
        h.Fleet.Send(b, b.CompleteReport([Vms.Vm(3, name: "web-2")]));
        var answered = new TaskCompletionSource();
        h.Dispatcher.Answer = call =>
        {
            answered.TrySetResult();
            return new DispatchResult(AckCode.Success, 0x0000_0007_0000_0042, call.Vm, []);
        };
        using var c = h.Connect();
        c.Send(new AdminSubmitPdu { Code = RequestCode.Pause, Parameters = new AttrList().Add(AttrType.Ref, "web-2") });
        await answered.Task.WaitAsync(TimeSpan.FromSeconds(20));

        await h.DisposeAsync();
        var (_, result) = await c.ReplyAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(AckCode.Success, result.Code);
    }

    [Fact]
    public async Task A_watch_ends_with_RESULT_unavailable_when_the_controller_stops()
    {
        var (h, b) = WithHost();
        using var c = h.Connect();
        c.Send(new AdminQueryPdu { What = QueryKind.Watch });
        // The watch is registered once the session serves it; a change proves that.
        var seen = Task.Run(() => c.ReadAsync());
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!seen.IsCompleted && DateTime.UtcNow < until)
        {
            h.Fleet.Send(b, b.Event(Vms.Vm(3, PowerState.Paused, name: "web-2")));
            h.Fleet.Send(b, b.Event(Vms.Vm(3, PowerState.Running, name: "web-2")));
            await Task.Delay(50);
        }
        Assert.IsType<AdminVmPdu>(await seen);

        await h.DisposeAsync();
        AdminResultPdu? result = null;
        while (await c.ReadAsync().WaitAsync(TimeSpan.FromSeconds(20)) is { } pdu)
            if (pdu is AdminResultPdu r) { result = r; break; }

        Assert.NotNull(result);
        Assert.Equal(AckCode.Unavailable, result.Code);
        Assert.Contains("controller is stopping", result.Attributes.Text(AttrType.Message));
    }
}
