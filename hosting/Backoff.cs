// The one retry policy of both daemons: hostd reconnecting to libvirt, the controller reconnecting to a host and
// asking a busy host again. The nominal delay doubles from the first one up to the cap; the wait is drawn
// uniformly from the upper half of it, [d/2, d] ("equal jitter"). Half the nominal delay is always waited, so a
// peer that is down is not hammered, and the other half spreads the retries of many waiters that failed together
// (every host losing one libvirtd, every request to a host that restarted) so that they do not come back in step.
// The cap is a true upper bound: no wait is ever longer than it.
namespace Vmm.Hosting;

/// <summary>Capped exponential backoff with equal jitter: each wait is a random point in the upper half of a nominal
/// delay that doubles from <see cref="First"/> up to <see cref="Cap"/>.</summary>
public sealed class Backoff(TimeSpan first, TimeSpan cap)
{
    // Past this many doublings every nominal delay is the cap (2^30 times a tick is over a day already).
    private const int MaxDoublings = 30;

    private int _attempt;

    /// <summary>The nominal delay before the first retry.</summary>
    public TimeSpan First { get; } = first;

    /// <summary>The longest nominal delay, and so the longest wait.</summary>
    public TimeSpan Cap { get; } = cap;

    /// <summary>The wait before the next retry; the nominal delay of the one after it is twice as long (up to the cap).</summary>
    public TimeSpan Next()
    {
        var delay = Delay(_attempt, First, Cap);
        if (_attempt < MaxDoublings) _attempt++;
        return delay;
    }

    /// <summary>After a success, start again from the first delay.</summary>
    public void Reset() => _attempt = 0;

    /// <summary>
    /// The wait before retry number <paramref name="attempt"/> (0 for the first), for a caller that counts its own
    /// attempts: <paramref name="first"/> doubled per attempt up to <paramref name="cap"/>, then a random point in
    /// its upper half.
    /// </summary>
    public static TimeSpan Delay(int attempt, TimeSpan first, TimeSpan cap)
    {
        double ms = first.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt, 0, MaxDoublings));
        double capped = Math.Min(ms, cap.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
    }
}
