// When hostd pets its watchdog (spec §15.3): the pure window rule at its edges, and the rule's law over random
// leases: a pet never lets the machine run more than the reach past the lease's deadline.
using FsCheck;
using FsCheck.Xunit;
using Vmm.Hostd.Internal;

namespace Vmm.Hostd.Tests.Ha;

public sealed class WatchdogWindowTests
{
    private const long W = 3000, R = WatchdogWindow.ReachMs;

    [Theory]
    [InlineData(4000, false, true)]         // plenty left
    [InlineData(W - R, false, true)]        // exactly enough: a reset would come at D + reach
    [InlineData(W - R - 1, false, false)]   // one ms short
    [InlineData(1, false, false)]           // about to lapse
    [InlineData(1, true, false)]            // a fence of an earlier lapse counts for nothing once the lease runs again
    [InlineData(0, false, false)]           // lapsed, not fenced yet
    [InlineData(-200, false, false)]
    [InlineData(0, true, true)]             // lapsed and fenced: nothing left to guard
    [InlineData(-60_000, true, true)]
    [InlineData(long.MinValue, false, false)] // never ran: the fencer goes round first
    [InlineData(long.MinValue, true, true)]
    public void Pets_only_with_enough_lease_left_or_once_fenced(long remaining, bool fenced, bool pet) =>
        Assert.Equal(pet, WatchdogWindow.MayPet(remaining, fenced, W));

    [Property]
    public bool A_pet_before_the_lapse_never_lets_a_reset_come_later_than_the_reach_after_the_deadline(PositiveInt remaining, PositiveInt timeoutSeconds)
    {
        long timeout = (timeoutSeconds.Get % 60 + 1) * 1000L;
        // Pet at now; the device resets at now + timeout; the lease lapses at now + remaining.
        return !WatchdogWindow.MayPet(remaining.Get, false, timeout) || timeout <= remaining.Get + R;
    }
}
