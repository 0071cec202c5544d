// A histogram of durations with fixed bounds, observed from any thread without a lock or an allocation: one
// Interlocked add for the bucket and one for the sum.
namespace Vmm.Hosting.Metrics;

/// <summary>Counts durations into buckets by upper bound (seconds); written out by <see cref="MetricsWriter.Histogram"/>.</summary>
public sealed class LatencyHistogram
{
    /// <summary>
    /// From a millisecond (a ping answered from memory) to five minutes (a migration): the durations of a request,
    /// whether a controller waits for it or hostd carries it out, and of a hypervisor call.
    /// </summary>
    public static readonly double[] RequestBounds =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly double[] _bounds;
    private readonly long[] _counts;   // per bucket, not cumulative; the last is above every bound (+Inf)
    private long _sumTicks;

    /// <param name="bounds">Upper bounds in seconds, ascending; <see cref="RequestBounds"/> by default.</param>
    public LatencyHistogram(double[]? bounds = null)
    {
        _bounds = bounds ?? RequestBounds;
        for (int i = 1; i < _bounds.Length; i++)
            if (!(_bounds[i] > _bounds[i - 1])) throw new ArgumentException("histogram bounds must ascend", nameof(bounds));
        _counts = new long[_bounds.Length + 1];
    }

    /// <summary>The upper bounds, seconds.</summary>
    public ReadOnlySpan<double> Bounds => _bounds;

    /// <summary>Counts one duration.</summary>
    public void Observe(TimeSpan elapsed)
    {
        double seconds = elapsed.TotalSeconds;
        int i = 0;
        while (i < _bounds.Length && seconds > _bounds[i]) i++;
        Interlocked.Increment(ref _counts[i]);
        Interlocked.Add(ref _sumTicks, elapsed.Ticks);
    }

    /// <summary>Durations counted in bucket <paramref name="i"/> alone (<see cref="Bounds"/>.Length: above every bound).</summary>
    public long CountAt(int i) => Volatile.Read(ref _counts[i]);

    /// <summary>Every duration counted.</summary>
    public long Count
    {
        get
        {
            long n = 0;
            for (int i = 0; i < _counts.Length; i++) n += CountAt(i);
            return n;
        }
    }

    /// <summary>The durations counted, added up, in seconds.</summary>
    public double SumSeconds => Interlocked.Read(ref _sumTicks) / (double)TimeSpan.TicksPerSecond;
}
