// A hostd that dies with a request in hand and comes back as a new boot (spec §7.1 boot binding): the request,
// sent again after the lost connection, is refused by the new boot; the controller says the outcome is unknown and
// why, rather than passing the refusal on as a plain failure.
using Vmm.Controller.Dispatch;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using static Vmm.Controller.Tests.Dispatch.DispatchFixture;

namespace Vmm.Controller.Tests.Dispatch;

public sealed class RestartedHostTests
{
    private const ulong NewBoot = 0x0B00_7ED0_0000_0002;

    [Fact]
    public async Task A_request_whose_host_restarted_in_flight_is_a_timeout_that_names_the_restart()
    {
        await using var host = new FakeHost(Key, (h, r) =>
        {
            // The first boot reads the request and dies; the next one refuses it, as hostd does for another boot.
            if (r.Connection == 1) r.CloseConnection();
            else r.Answer(new AckPdu
            {
                RequestId = r.Pdu.RequestId, BootId = NewBoot, Code = AckCode.Failure, Vm = r.Pdu.Vm,
                Results = new AttrList().Add(AttrType.Message, $"request for boot {r.Pdu.BootId:x16}, but this hostd runs boot {NewBoot:x16}: the host restarted"),
            });
        });
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Stop, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Timeout, result.Code);
        Assert.Contains($"hv1 restarted while the request was in flight (hostd boot {host.BootId:x16}, now {NewBoot:x16})", result.Message());
        Assert.Contains("may have taken effect", result.Message());
        Assert.Equal(2, host.Arrivals.Count);
    }

    [Fact]
    public async Task A_request_sent_once_to_a_host_that_has_restarted_since_its_last_state_is_the_hosts_failure()
    {
        // Never in the hands of the old boot: the new one's refusal is the whole truth (nothing was done).
        await using var host = new FakeHost(Key, (h, r) => r.Answer(new AckPdu
        {
            RequestId = r.Pdu.RequestId, BootId = NewBoot, Code = AckCode.Failure, Vm = r.Pdu.Vm,
            Results = new AttrList().Add(AttrType.Message, "the host restarted"),
        }));
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Stop, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Failure, result.Code);
        Assert.Equal("the host restarted", result.Message());
    }

    [Fact]
    public async Task A_request_sent_again_to_the_same_boot_gets_that_boots_answer()
    {
        await using var host = new FakeHost(Key, (h, r) =>
        {
            if (h.TryExecute(r.Pdu, AckCode.Success, null, out var ack)) r.CloseConnection();
            else r.Answer(ack);
        });
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Stop, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Success, result.Code);
    }
}
