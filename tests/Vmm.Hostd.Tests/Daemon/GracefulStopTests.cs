// SIGTERM's half inside hostd (HostdDaemon.RunAsync after its token is cancelled), over real sockets:
// requests in flight finish within stop-timeout or are answered, new ones are refused with a reason, and
// the stopping datagram is the last thing the controllers hear.
using System.Net.Sockets;
using Vmm.Hostd.Internal;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

public sealed class GracefulStopTests
{
    private static ulong _next = 0x5700_0000_0000_0000;

    private static RequestPdu Req(DaemonFixture f, RequestCode code, Guid vm) =>
        new() { RequestId = Interlocked.Increment(ref _next), BootId = f.Boot, Code = code, Vm = vm };

    private static string? Message(AckPdu a) => a.Results.FirstOrDefault(r => r.Type == AttrType.Message)?.Text;

    private static void Until(Func<bool> condition, string what) =>
        Assert.True(SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(20)), "not within 20 s: " + what);

    [Fact]
    public async Task A_request_in_flight_at_stop_finishes_and_its_effect_goes_out_before_the_stopping_datagram()
    {
        await using var f = new DaemonFixture(stopTimeout: TimeSpan.FromSeconds(20));
        var vm = f.Hypervisor.Define("a", PowerState.Running);
        f.Hypervisor.BlockCode = RequestCode.Stop;
        f.Hypervisor.Gate.Reset();
        Task? stopping = null;
        try
        {
            using var c = f.Connect();
            var stop = Req(f, RequestCode.Stop, vm);
            c.Send(stop);
            Until(() => !f.Hypervisor.Executed.IsEmpty, "the stop request reaches the hypervisor");

            stopping = f.StopAsync();
            Until(() => f.Daemon.Server.Stopping, "hostd is stopping");

            // A new request on the open connection: refused with a reason, not carried out.
            var late = c.Call(Req(f, RequestCode.Start, vm));
            Assert.Equal(AckCode.Failure, late.Code);
            Assert.Equal(RequestServer.StoppingMessage, Message(late));
            Assert.Single(f.Hypervisor.Executed);
            // A new connection: refused by the kernel, the listener is closed.
            var refused = Assert.Throws<SocketException>(() => f.Connect());
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
            // The request in flight holds the stop.
            Assert.False(stopping.IsCompleted);

            f.Hypervisor.Gate.Set();
            var done = (AckPdu)c.Receive();
            Assert.Equal((stop.RequestId, AckCode.Success), (done.RequestId, done.Code));
            Assert.Null(c.ReceiveOrClose());   // then the connection closes
            await stopping;

            // The controllers saw the VM off before they heard the host is stopping, and nothing after that.
            bool sawOff = false;
            var last = f.ReceiveStateUntil(s =>
            {
                sawOff |= s.Vms.Any(v => v.Uuid == vm && v.Power == PowerState.Off);
                return (s.Status & HostStatus.Stopping) != 0;
            });
            Assert.True(sawOff, "the stopped VM was reported before the stopping datagram");
            Assert.Empty(last.Vms);
            f.Controller.ReceiveTimeout = 300;
            Assert.Throws<SocketException>(() => f.ReceiveState());
        }
        finally
        {
            // A failed assertion must not leave the daemon running under the fixture's dispose.
            f.Hypervisor.Gate.Set();
            if (stopping is not null) await stopping;
        }
    }

    [Fact]
    public async Task A_request_still_running_after_the_stop_timeout_is_answered_before_the_connection_closes()
    {
        await using var f = new DaemonFixture(stopTimeout: TimeSpan.FromMilliseconds(200));
        var vm = f.Hypervisor.Define("a", PowerState.Running);
        f.Hypervisor.BlockCode = RequestCode.Stop;
        f.Hypervisor.Gate.Reset();
        try
        {
            using var c = f.Connect();
            var stop = Req(f, RequestCode.Stop, vm);
            c.Send(stop);
            Until(() => !f.Hypervisor.Executed.IsEmpty, "the stop request reaches the hypervisor");

            await f.StopAsync();

            var ack = (AckPdu)c.Receive();
            Assert.Equal((stop.RequestId, AckCode.Failure, f.Boot), (ack.RequestId, ack.Code, ack.BootId));
            Assert.Equal(RequestServer.AbandonedMessage, Message(ack));
            Assert.Null(c.ReceiveOrClose());
            Assert.NotEqual(HostStatus.None, f.ReceiveStateUntil(s => (s.Status & HostStatus.Stopping) != 0).Status & HostStatus.Stopping);
        }
        finally
        {
            f.Hypervisor.Gate.Set();
        }
    }

    [Fact]
    public async Task A_stop_with_nothing_in_flight_closes_idle_connections()
    {
        await using var f = new DaemonFixture(stopTimeout: TimeSpan.FromSeconds(20));
        using var c = f.Connect();
        Assert.Equal(AckCode.Success, c.Call(new RequestPdu { RequestId = 1, Code = RequestCode.Ping }).Code);
        await f.StopAsync();
        Assert.Null(c.ReceiveOrClose());
    }
}
