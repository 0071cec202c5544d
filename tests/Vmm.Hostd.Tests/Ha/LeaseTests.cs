// hostd's lease (spec §15.2) on a hand-moved clock: what extends it, from when, and who may hold it.
using Vmm.Hostd.Internal;

namespace Vmm.Hostd.Tests.Ha;

public sealed class LeaseTests : IDisposable
{
    private const uint F = 5000;
    private long _now = 10_000_000;
    private readonly string _dir = Directory.CreateTempSubdirectory("vmm-lease-").FullName;

    private Lease New(string? file = null, string machineBoot = "boot-1") => new(file, () => _now, machineBoot);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_new_lease_without_a_file_is_lapsed_and_held_by_no_one()
    {
        var lease = New();
        Assert.True(lease.Lapsed);
        Assert.Null(lease.Holder);
        Assert.False(lease.Restored);
    }

    [Fact]
    public void The_first_renewal_takes_the_lease_but_extends_nothing_until_its_token_comes_back()
    {
        var lease = New();
        var first = lease.Renew("ctl-1", 0, F);
        Assert.True(first.Granted);
        Assert.Equal("ctl-1", lease.Holder);
        Assert.True(lease.Lapsed);

        _now += 1000;
        var second = lease.Renew("ctl-1", first.Token, F);
        Assert.True(second.Granted);
        Assert.False(lease.Lapsed);
        // Counted from when the first ACK was sent (its token), not from this renewal's arrival.
        Assert.Equal(F - 1000, lease.RemainingMs);
    }

    [Fact]
    public void A_renewal_delayed_in_the_network_extends_only_to_its_token_plus_fence_after()
    {
        var lease = New();
        var t0 = lease.Renew("ctl-1", 0, F).Token;
        _now += 1000;
        var t1 = lease.Renew("ctl-1", t0, F).Token;      // deadline: t0 + F
        // The partition: renewals echoing t1 sit in a TCP buffer; time passes beyond the deadline.
        _now += F + 2000;
        Assert.True(lease.Lapsed);
        // Delivered at last: it names t1, issued F + 2 s ago, so the lease stays lapsed.
        var late = lease.Renew("ctl-1", t1, F);
        Assert.True(late.Granted);
        Assert.True(lease.Lapsed);
        Assert.Equal(-2000, lease.RemainingMs);
    }

    [Fact]
    public void An_older_token_never_shortens_the_lease()
    {
        var lease = New();
        var t0 = lease.Renew("ctl-1", 0, F).Token;
        _now += 1000;
        var t1 = lease.Renew("ctl-1", t0, F).Token;
        _now += 1000;
        lease.Renew("ctl-1", t1, F);                      // deadline: t1 + F
        long remaining = lease.RemainingMs;
        lease.Renew("ctl-1", t0, F);                      // a copy of an old renewal, delivered late
        Assert.Equal(remaining, lease.RemainingMs);
    }

    [Fact]
    public void A_token_from_the_future_or_of_another_epoch_extends_nothing()
    {
        var lease = New();
        var t0 = lease.Renew("ctl-1", 0, F).Token;
        var other = New().Renew("ctl-1", 0, F).Token;    // another lease: another epoch (one chance in 65535 of a clash)
        if ((other >> 48) == (t0 >> 48)) return;
        Assert.Contains("not extended", lease.Renew("ctl-1", other, F).Message);
        Assert.True(lease.Lapsed);
        Assert.Contains("not extended", lease.Renew("ctl-1", t0 + 60_000, F).Message);
        Assert.True(lease.Lapsed);
    }

    [Fact]
    public void Another_controller_is_refused_while_the_holder_s_lease_runs_and_takes_it_once_it_lapses()
    {
        var lease = New();
        var t0 = lease.Renew("ctl-1", 0, F).Token;
        lease.Renew("ctl-1", t0, F);
        var refused = lease.Renew("ctl-2", 0, F);
        Assert.False(refused.Granted);
        Assert.Equal("ctl-1", refused.Holder);
        Assert.Contains("held by controller ctl-1", refused.Message);

        _now += F;
        // Lapsed, but not yet fenced: no one else may take it before the HA VMs are fenced.
        var early = lease.Renew("ctl-2", 0, F);
        Assert.False(early.Granted);
        Assert.Contains("fences its HA VMs before", early.Message);
        Assert.True(lease.MarkFenced());
        var taken = lease.Renew("ctl-2", 0, F);
        Assert.True(taken.Granted);
        Assert.Equal("ctl-2", lease.Holder);
        // The old holder is refused now, whatever token it echoes: the new holder's claim runs.
        Assert.False(lease.Renew("ctl-1", t0, F).Granted);
        // And a token of the old holder's, echoed by the new one, extends nothing.
        Assert.Contains("not extended", lease.Renew("ctl-2", t0, F).Message);
        Assert.True(lease.Lapsed);
        _now += 10;
        lease.Renew("ctl-2", taken.Token, F);
        Assert.False(lease.Lapsed);
    }

    [Fact]
    public void The_holders_claim_runs_fence_after_from_its_last_grant_even_without_an_extension()
    {
        var lease = New();
        lease.Renew("ctl-1", 0, F);                       // granted, not extended: lapsed, but claimed
        Assert.True(lease.MarkFenced());
        Assert.False(lease.Renew("ctl-2", 0, F).Granted);
        _now += F;
        Assert.True(lease.Renew("ctl-2", 0, F).Granted);
    }

    [Fact]
    public void Fence_after_outside_its_bounds_is_refused()
    {
        var lease = New();
        Assert.False(lease.Renew("ctl-1", 0, 100).Granted);
        Assert.False(lease.Renew("ctl-1", 0, Lease.MaxFenceAfterMs + 1).Granted);
        Assert.Null(lease.Holder);
    }

    [Fact]
    public void Fenced_is_set_only_while_lapsed_and_a_granted_extension_clears_it()
    {
        var lease = New();
        var t0 = lease.Renew("ctl-1", 0, F).Token;
        var t1 = lease.Renew("ctl-1", t0, F).Token;
        Assert.False(lease.MarkFenced());
        _now += F;
        Assert.True(lease.MarkFenced());
        Assert.True(lease.Fenced);
        _now += 100;
        var back = lease.Renew("ctl-1", lease.Renew("ctl-1", t1, F).Token, F);
        Assert.True(back.Unfenced);
        Assert.False(lease.Fenced);
    }

    [Fact]
    public void A_restarted_hostd_keeps_the_deadline_and_epoch_from_the_file()
    {
        string file = Path.Combine(_dir, "lease");
        var lease = New(file);
        var t0 = lease.Renew("ctl-1", 0, F).Token;
        _now += 500;
        var t1 = lease.Renew("ctl-1", t0, F).Token;
        long remaining = lease.RemainingMs;

        var again = New(file);
        Assert.True(again.Restored);
        Assert.Equal("ctl-1", again.Holder);
        Assert.Equal(remaining, again.RemainingMs);
        // Tokens of the hostd before it still count: the clock and the epoch are the same.
        _now += 1000;
        again.Renew("ctl-1", t1, F);
        Assert.Equal(F - 1000, again.RemainingMs);
    }

    [Fact]
    public void A_file_of_another_boot_of_the_machine_is_ignored()
    {
        string file = Path.Combine(_dir, "lease");
        var lease = New(file, "boot-1");
        lease.Renew("ctl-1", lease.Renew("ctl-1", 0, F).Token, F);
        var after = New(file, "boot-2");
        Assert.False(after.Restored);
        Assert.True(after.Lapsed);
        Assert.Null(after.Holder);
    }
}
