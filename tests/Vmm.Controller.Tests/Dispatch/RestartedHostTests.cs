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
    public async Task A_request_refused_by_a_new_boot_it_never_reached_is_bound_to_that_boot_and_carried_out()
    {
        // Never in the hands of the old boot: the new one's refusal proves the restart, the boot is adopted and
        // the same request (same id) goes to the new boot, which does it.
        await using var host = new FakeHost(Key, (h, r) => r.Answer(r.Pdu.BootId == NewBoot
            ? new AckPdu { RequestId = r.Pdu.RequestId, BootId = NewBoot, Code = AckCode.Success, Vm = r.Pdu.Vm }
            : WrongBoot(r.Pdu)));
        var adopted = new List<(string, ulong)>();
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger, adoptBoot: (name, boot) =>
        {
            lock (adopted) adopted.Add((name, boot));
            return true;
        });

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Stop, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Success, result.Code);
        var arrivals = host.Arrivals.ToArray();
        Assert.Equal([host.BootId, NewBoot], arrivals.Select(a => a.Pdu.BootId));
        Assert.All(arrivals, a => Assert.Equal(result.RequestId, a.Pdu.RequestId));
        Assert.Equal([("hv1", NewBoot)], adopted);
    }

    [Fact]
    public async Task A_new_boot_the_controller_does_not_trust_leaves_the_request_not_done_and_retryable()
    {
        await using var host = new FakeHost(Key, (h, r) => r.Answer(WrongBoot(r.Pdu)));
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger, adoptBoot: (_, _) => false);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Stop, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Unavailable, result.Code);
        Assert.Contains("was not carried out: send it again", result.Message());
        Assert.Single(host.Arrivals);
    }

    [Fact]
    public async Task A_host_that_restarts_again_before_the_request_is_sent_anew_leaves_it_not_done()
    {
        ulong boots = NewBoot;
        await using var host = new FakeHost(Key, (h, r) => r.Answer(WrongBoot(r.Pdu, Interlocked.Increment(ref boots))));
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger);

        var result = await dispatcher.SendAsync(host.Target(), RequestCode.Pause, RequestFlags.None, Vm, [], CancellationToken.None);

        Assert.Equal(AckCode.Unavailable, result.Code);
        Assert.Contains("and again after it was sent anew", result.Message());
        Assert.Equal(2, host.Arrivals.Count);
    }

    [Fact]
    public async Task A_ping_for_any_boot_hands_the_boot_that_answered_to_the_inventory()
    {
        await using var host = new FakeHost(Key, (h, r) => r.Answer(new AckPdu { RequestId = r.Pdu.RequestId, BootId = NewBoot, Code = AckCode.Success }));
        ulong told = 0;
        await using var dispatcher = new Dispatcher(Keys, Options, new TestLog().Logger, adoptBoot: (_, boot) => { told = boot; return true; });

        var result = await dispatcher.SendAsync(host.Target() with { BootId = 0 }, RequestCode.Ping, RequestFlags.None, Guid.Empty, [], CancellationToken.None);

        Assert.Equal(AckCode.Success, result.Code);
        Assert.Equal(NewBoot, told);
    }

    // hostd's refusal of a request bound to another boot (§7.1), from boot `boot`.
    private static AckPdu WrongBoot(RequestPdu request, ulong boot = NewBoot) => new()
    {
        RequestId = request.RequestId, BootId = boot, Code = AckCode.Failure, Vm = request.Vm,
        Results = new AttrList().Add(AttrType.Message, $"request for boot {request.BootId:x16}, but this hostd runs boot {boot:x16}: the host restarted"),
    };

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
