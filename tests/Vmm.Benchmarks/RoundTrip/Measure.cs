// Plain Stopwatch loops, on purpose: the round trip crosses threads, sockets and another process, which
// BenchmarkDotNet's per-invocation model does not fit. The loads compared are measured together: each is
// warmed up and sized to a round of fixed time, then their rounds take turns (A B C A B C ...), so that a
// machine busy with other work slows all sides alike, and each ratio is taken round by round.
using System.Diagnostics;

namespace Vmm.Benchmarks.RoundTrip;

/// <summary>Per-operation latency at one in flight: the median and 99th percentile of every operation, and each round's median.</summary>
internal sealed record Latency(double MedianUs, double P99Us, double[] RoundMediansUs);

/// <summary>Operations per second with many in flight: the median round and each round's rate.</summary>
internal sealed record Throughput(double Median, double[] Rounds);

internal sealed class Measure(TimeSpan warmup, TimeSpan round, int rounds)
{
    public int Rounds => rounds;

    /// <summary>Latency of one operation at a time, for each load.</summary>
    public Latency[] Latency(params ILoad[] loads)
    {
        var sizes = loads.Select(l => Calibrate(l, 1)).ToArray();
        var samples = loads.Select((_, i) => new long[sizes[i] * rounds]).ToArray();
        var roundMedians = loads.Select(_ => new double[rounds]).ToArray();
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < loads.Length; i++)
            {
                var slice = new long[sizes[i]];
                loads[i].Run(1, sizes[i], slice);
                slice.CopyTo(samples[i], r * sizes[i]);
                Array.Sort(slice);
                roundMedians[i][r] = Us(slice[slice.Length / 2]);
            }
        }
        return loads.Select((_, i) =>
        {
            var all = samples[i];
            Array.Sort(all);
            return new Latency(Us(all[all.Length / 2]), Us(all[(int)(all.Length * 0.99)]), roundMedians[i]);
        }).ToArray();
    }

    /// <summary>Throughput of each load with <paramref name="inFlight"/> operations outstanding at all times.</summary>
    public Throughput[] Throughput(int inFlight, params ILoad[] loads)
    {
        var sizes = loads.Select(l => Calibrate(l, inFlight)).ToArray();
        var rates = loads.Select(_ => new double[rounds]).ToArray();
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < loads.Length; i++)
                rates[i][r] = sizes[i] / loads[i].Run(inFlight, sizes[i], null).TotalSeconds;
        return rates.Select(x => new Throughput(Median(x), x)).ToArray();
    }

    /// <summary>The median of the round-by-round ratios <paramref name="a"/>[r] / <paramref name="b"/>[r].</summary>
    public static double MedianRatio(double[] a, double[] b) => Median(a.Zip(b, (x, y) => x / y).ToArray());

    public static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    // Runs the load for the warm-up time in growing batches, and returns how many operations make a round.
    private int Calibrate(ILoad load, int inFlight)
    {
        int batch = Math.Max(inFlight * 4, 16);
        var total = Stopwatch.StartNew();
        TimeSpan last;
        do
        {
            last = load.Run(inFlight, batch, null);
            if (last < TimeSpan.FromMilliseconds(50)) batch *= 2;
        } while (total.Elapsed < warmup);
        double rate = batch / Math.Max(last.TotalSeconds, 1e-6);
        return (int)Math.Clamp(rate * round.TotalSeconds, inFlight * 4, 5_000_000);
    }

    private static double Us(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
}
