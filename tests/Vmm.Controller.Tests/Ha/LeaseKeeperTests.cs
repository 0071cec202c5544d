// The controller's renewals (spec §15.2): what each carries, and what each answer does to the LeaseBook.
using NLog;
using Vmm.Controller.Ha;
using Vmm.Protocol;

namespace Vmm.Controller.Tests.Ha;

public sealed class LeaseKeeperTests
{
    private readonly Fleet _fleet = new();
    private readonly FakeDispatcher _dispatcher = new();
    private readonly LeaseBook _book = new();
    private long _now = 5_000;

    private LeaseKeeper Keeper() => new(_fleet.Inventory, _dispatcher, _book,
        new HaOptions { ControllerId = "ctl-1", FenceAfter = TimeSpan.FromSeconds(5) }, LogManager.CreateNullLogger(), () => _now);

    private static DispatchResult Ack(AckCode code, AttrList results) => new(code, 1, Guid.Empty, results);

    [Fact]
    public async Task Each_renewal_names_this_controller_grants_fence_after_and_echoes_the_last_token()
    {
        var h = _fleet.Host("hv-a");
        _fleet.Send(h, h.CompleteReport([]));
        _dispatcher.Answer = c => Ack(AckCode.Success, new AttrList().Add(AttrType.Controller, "ctl-1").Add(AttrType.LeaseToken, 0x77));
        var keeper = Keeper();
        keeper.RenewAll(CancellationToken.None);
        await Eventually.True(() => _book.Of("hv-a").Held, "the first renewal to be granted");
        keeper.RenewAll(CancellationToken.None);
        await Eventually.True(() => _dispatcher.Calls.Count == 2 && keeper.Counts.Granted == 2, "the second renewal");

        List<FakeDispatcher.Call> calls;
        lock (_dispatcher.Calls) calls = [.. _dispatcher.Calls];
        Assert.All(calls, c =>
        {
            Assert.Equal(RequestCode.Lease, c.Code);
            Assert.Equal(h.Boot, c.Host.BootId);
            Assert.Equal("ctl-1", c.Parameters.Text(AttrType.Controller));
            Assert.Equal(5000UL, c.Parameters.Number(AttrType.FenceAfterMs));
        });
        Assert.Null(calls[0].Parameters.Number(AttrType.LeaseToken));
        Assert.Equal(0x77UL, calls[1].Parameters.Number(AttrType.LeaseToken));
        Assert.Equal(5_000 + 5_000 + 1_000, _book.FencedBy("hv-a", 5_000, 1_000));
    }

    [Fact]
    public async Task A_grant_that_extended_nothing_is_followed_at_once_by_a_renewal_with_its_token_and_only_one()
    {
        var h = _fleet.Host("hv-a");
        _fleet.Send(h, h.CompleteReport([]));
        // The host says 0 ms left to every grant (as to a first renewal): one more goes at once, then the round ends.
        ulong next = 0x70;
        _dispatcher.Answer = c => Ack(AckCode.Success, new AttrList().Add(AttrType.Controller, "ctl-1")
            .Add(AttrType.LeaseToken, Interlocked.Increment(ref next)).Add(AttrType.FenceAfterMs, 0));
        var keeper = Keeper();
        keeper.RenewAll(CancellationToken.None);
        await Eventually.True(() => keeper.Counts.Granted == 2, "the renewal sent again at once");
        await Task.Delay(100);
        List<FakeDispatcher.Call> calls;
        lock (_dispatcher.Calls) calls = [.. _dispatcher.Calls];
        Assert.Equal(2, calls.Count);
        Assert.Null(calls[0].Parameters.Number(AttrType.LeaseToken));
        Assert.Equal(0x71UL, calls[1].Parameters.Number(AttrType.LeaseToken));
        Assert.Equal(1, keeper.Counts.Again);

        // A grant with time left (or, from an older hostd, without fence-after-ms) is not followed by another.
        Assert.False(keeper.Apply("hv-a", Ack(AckCode.Success, new AttrList().Add(AttrType.LeaseToken, 9).Add(AttrType.FenceAfterMs, 4000)), 1));
        Assert.False(keeper.Apply("hv-a", Ack(AckCode.Success, new AttrList().Add(AttrType.LeaseToken, 9)), 1));
        Assert.True(keeper.Apply("hv-a", Ack(AckCode.Success, new AttrList().Add(AttrType.LeaseToken, 9).Add(AttrType.FenceAfterMs, 0)), 1));
    }

    [Fact]
    public void A_refusal_naming_another_holder_makes_this_controller_stand_by()
    {
        var keeper = Keeper();
        keeper.Apply("hv-a", Ack(AckCode.Success, new AttrList().Add(AttrType.Controller, "ctl-1").Add(AttrType.LeaseToken, 5)), 1000);
        Assert.True(_book.Of("hv-a").Held);
        keeper.Apply("hv-a", Ack(AckCode.Failure, new AttrList().AddMessage("held by ctl-2").Add(AttrType.Controller, "ctl-2")), 2000);
        Assert.False(_book.Of("hv-a").Held);
        Assert.Null(_book.FencedBy("hv-a", 5000, 1000));
        Assert.Equal(1, keeper.Counts.Refused);
    }

    [Fact]
    public void An_unanswered_renewal_leaves_the_count_where_the_last_granted_one_put_it()
    {
        var keeper = Keeper();
        keeper.Apply("hv-a", Ack(AckCode.Success, new AttrList().Add(AttrType.Controller, "ctl-1").Add(AttrType.LeaseToken, 5)), 1000);
        keeper.Apply("hv-a", Ack(AckCode.Timeout, new AttrList().AddMessage("no answer")), 9000);
        keeper.Apply("hv-a", Ack(AckCode.Unavailable, new AttrList().AddMessage("unreachable")), 9500);
        Assert.Equal(7000, _book.FencedBy("hv-a", 5000, 1000));
        Assert.Equal(2, keeper.Counts.Unanswered);
    }
}
