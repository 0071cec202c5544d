// The pure parts of dispatch: deadlines per request kind, backoff, request ids.
using Vmm.Controller.Dispatch;
using Vmm.Hosting;
using Vmm.Protocol;

namespace Vmm.Controller.Tests.Dispatch;

public sealed class DispatchOptionsTests
{
    private static readonly DispatchOptions Defaults = new();

    [Theory]
    [InlineData(RequestCode.Start, 30)]
    [InlineData(RequestCode.Pause, 30)]
    [InlineData(RequestCode.Ping, 30)]
    [InlineData(RequestCode.UpdateMemory, 30)]
    [InlineData(RequestCode.Add, 600)]
    [InlineData(RequestCode.Stop, 600)]
    [InlineData(RequestCode.Migrate, 600)]
    [InlineData(RequestCode.Delete, 600)]
    [InlineData(RequestCode.Snapshot, 600)]
    public void Each_request_kind_has_its_deadline(RequestCode code, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Defaults.TimeoutFor(code, []));

    [Fact]
    public void Stop_with_timeout_ms_waits_for_the_guest_and_then_the_host() =>
        Assert.Equal(TimeSpan.FromSeconds(90), Defaults.TimeoutFor(RequestCode.Stop, new AttrList().Add(AttrType.TimeoutMs, 60_000)));

    [Fact]
    public void Stop_with_timeout_ms_0_destroys_at_once_and_waits_only_for_the_host() =>
        Assert.Equal(TimeSpan.FromSeconds(30), Defaults.TimeoutFor(RequestCode.Stop, new AttrList().Add(AttrType.TimeoutMs, 0)));

    [Fact]
    public void The_largest_timeout_ms_is_cut_to_what_a_timer_can_wait()
    {
        var longest = TimeSpan.FromMilliseconds(uint.MaxValue - 1);
        Assert.Equal(longest, Defaults.TimeoutFor(RequestCode.Stop, new AttrList().Add(AttrType.TimeoutMs, uint.MaxValue)));
        Assert.Equal(longest, Defaults.TimeoutFor(RequestCode.Start, new AttrList().Add(AttrType.TimeoutMs, uint.MaxValue)));
        using var timer = new CancellationTokenSource(longest);
    }

    [Fact]
    public void Timeout_ms_on_any_other_request_is_its_deadline() =>
        Assert.Equal(TimeSpan.FromSeconds(5), Defaults.TimeoutFor(RequestCode.Migrate, new AttrList().Add(AttrType.TimeoutMs, 5_000)));

    [Fact]
    public void Timeout_ms_0_on_another_request_leaves_the_deadline_of_its_kind() =>
        Assert.Equal(TimeSpan.FromMinutes(10), Defaults.TimeoutFor(RequestCode.Migrate, new AttrList().Add(AttrType.TimeoutMs, 0)));

    [Fact]
    public void Options_out_of_range_are_refused_by_name()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => (Defaults with { MaxInFlightPerHost = 0 }).Validate());
        Assert.Equal("MaxInFlightPerHost", e.ParamName);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => (Defaults with { RequestTimeout = TimeSpan.Zero }).Validate());
        Assert.Equal("RequestTimeout", e.ParamName);
    }

    [Fact]
    public void Backoff_doubles_from_the_initial_wait_up_to_the_cap_within_its_upper_half()
    {
        var initial = TimeSpan.FromMilliseconds(100);
        var max = TimeSpan.FromSeconds(2);
        for (int attempt = 0; attempt < 40; attempt++)
        {
            double ceiling = Math.Min(100 * Math.Pow(2, attempt), 2000);
            for (int i = 0; i < 50; i++)
                Assert.InRange(Backoff.Delay(attempt, initial, max).TotalMilliseconds, ceiling / 2, ceiling);
        }
    }

    [Fact]
    public void Request_ids_are_origin_then_a_counter_from_one()
    {
        var ids = new RequestIds(0xA1B2C3D4);
        Assert.True(ids.TryNext(out ulong first));
        Assert.True(ids.TryNext(out ulong second));
        Assert.Equal(0xA1B2C3D4_00000001UL, first);
        Assert.Equal(0xA1B2C3D4_00000002UL, second);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RequestIds(0));
        Assert.NotEqual(0u, new RequestIds().Origin);
    }

    [Fact]
    public void An_id_covers_the_earlier_ids_of_its_own_origin_only()
    {
        var ids = new RequestIds(0xA1B2C3D4);
        Assert.True(ids.TryNext(out ulong first));
        Assert.True(ids.TryNext(out ulong second));
        Assert.True(RequestIds.Covers(second, first));
        Assert.True(RequestIds.Covers(first, first));
        Assert.False(RequestIds.Covers(first, second));
        Assert.False(RequestIds.Covers(0xA1B2C3D5_FFFFFFFFUL, first)); // another controller's, however far on
        Assert.False(RequestIds.Covers(0, first)); // a record that names no request
    }
}
