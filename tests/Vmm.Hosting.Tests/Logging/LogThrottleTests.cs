using Vmm.Hosting.Logging;

namespace Vmm.Hosting.Tests.Logging;

/// <summary>A peer cannot flood the log: one line per source and reason every interval, counting the rest,
/// over a bounded table of sources.</summary>
public sealed class LogThrottleTests
{
    private long _now = 1_000_000;

    private LogThrottle Throttle(int maxEntries = 1024) => new(TimeSpan.FromSeconds(10), maxEntries, () => _now);

    private static bool Due(LogThrottle t, string source, string reason, out long suppressed) => t.Due(ref source, reason, out suppressed);

    [Fact]
    public void One_line_per_source_and_reason_per_interval_and_the_next_counts_those_left_out()
    {
        var t = Throttle();
        Assert.True(Due(t, "10.0.0.1", "refused", out long n));
        Assert.Equal(0, n);
        for (int i = 0; i < 5; i++) Assert.False(Due(t, "10.0.0.1", "refused", out _));
        Assert.True(Due(t, "10.0.0.1", "bad-tag", out _));
        Assert.True(Due(t, "10.0.0.2", "refused", out _));
        _now += 10_000;
        Assert.True(Due(t, "10.0.0.1", "refused", out n));
        Assert.Equal(5, n);
        Assert.Equal(" (5 more since the last line)", LogThrottle.More(n));
        Assert.Equal("", LogThrottle.More(0));
    }

    [Fact]
    public void Sources_past_the_bound_share_one_throttle_and_the_table_stays_bounded()
    {
        var t = Throttle(maxEntries: 4);
        int lines = 0;
        for (int i = 0; i < 1000; i++)
        {
            string source = $"10.0.{i / 256}.{i % 256}";
            if (t.Due(ref source, "refused", out _)) lines++;
            Assert.True(t.Count <= 4);
        }
        Assert.Equal(4, lines);   // three sources of their own, and one line for all the others
        string late = "10.9.9.9";
        Assert.False(t.Due(ref late, "refused", out _));
        Assert.Equal(LogThrottle.OtherSources, late);
        // Once the interval is over, entries with nothing to report make room again.
        _now += 10_000;
        string fresh = "10.8.8.8";
        Assert.True(t.Due(ref fresh, "refused", out _));
    }
}
