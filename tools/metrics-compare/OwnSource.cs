// The workload's families in Vmm's own terms (plain Interlocked counters, LatencyHistogram, MetricsWriter), shared by
// the two variants that differ only in the HTTP server: Own.cs (MetricsServer) and OwnHttpListener.cs (HttpListener).
using Vmm.Hosting.Metrics;

internal sealed class OwnSource : IMetricsSource
{
    private readonly long[] _counts = new long[Driver.Series];
    private readonly LatencyHistogram[] _latency = [.. Enumerable.Range(0, Driver.Codes).Select(_ => new LatencyHistogram())];

    public OwnSource()
    {
        for (int i = 0; i < Driver.Series; i++) Interlocked.Add(ref _counts[i], i);
        for (int c = 0; c < Driver.Codes; c++) _latency[c].Observe(TimeSpan.FromMilliseconds(c * 3));
    }

    public void Write(MetricsWriter w)
    {
        w.Family("vmm_things_total", MetricType.Counter, "Things.");
        for (int i = 0; i < Driver.Series; i++)
            w.Sample("vmm_things_total").Label("host", Driver.Hosts[i / 4]).Label("power", Driver.Powers[i % 4]).Value(Volatile.Read(ref _counts[i]));
        w.Family("vmm_call_duration_seconds", MetricType.Histogram, "Calls.");
        for (int c = 0; c < Driver.Codes; c++) w.Histogram("vmm_call_duration_seconds", _latency[c], "code", Driver.CodeNames[c]);
        w.Single("vmm_up", MetricType.Gauge, "Up.", 1);
    }
}
