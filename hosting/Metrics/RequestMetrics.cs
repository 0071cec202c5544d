// Requests by code and outcome, and their durations by code: what the controller's dispatcher waited for and what
// hostd's processor answered. Counted into fixed arrays indexed by the one-byte codes (spec §8.1, §8.2), so that
// counting never allocates; a code outside the registry is counted as "other".
using Vmm.Protocol;
using Vmm.Protocol.Text;

namespace Vmm.Hosting.Metrics;

/// <summary>Counts of requests by request code and ack code, with a latency histogram per request code.</summary>
public sealed class RequestMetrics
{
    // Index 0 of each axis is "other": a code no registry entry names (request code 0 is not assigned).
    // Every assigned code has its own index, however many the registry gains.
    private static readonly int Codes = Enum.GetValues<RequestCode>().Max(c => (int)c) + 1;
    private const int Outcomes = (int)AckCode.Unavailable + 2;
    private readonly long[] _counts = new long[Codes * Outcomes];
    private readonly LatencyHistogram[] _latency = new LatencyHistogram[Codes];

    public RequestMetrics()
    {
        for (int i = 0; i < Codes; i++) _latency[i] = new LatencyHistogram();
    }

    /// <summary>Counts one request of <paramref name="code"/> that ended with <paramref name="outcome"/> after <paramref name="elapsed"/>.</summary>
    public void Record(RequestCode code, AckCode outcome, TimeSpan elapsed)
    {
        int c = CodeIndex(code);
        Interlocked.Increment(ref _counts[c * Outcomes + OutcomeIndex(outcome)]);
        _latency[c].Observe(elapsed);
    }

    /// <summary>Requests of <paramref name="code"/> that ended with <paramref name="outcome"/>.</summary>
    public long Count(RequestCode code, AckCode outcome) => Volatile.Read(ref _counts[CodeIndex(code) * Outcomes + OutcomeIndex(outcome)]);

    /// <summary>
    /// Two families: <paramref name="total"/><c>{code,outcome}</c>, a counter (the pairs seen so far), and
    /// <paramref name="duration"/><c>{code}</c>, a histogram (the codes seen so far).
    /// </summary>
    public void Write(MetricsWriter w, string total, string countHelp, string duration, string durationHelp)
    {
        w.Family(total, MetricType.Counter, countHelp);
        for (int c = 0; c < Codes; c++)
            for (int o = 0; o < Outcomes; o++)
            {
                long n = Volatile.Read(ref _counts[c * Outcomes + o]);
                if (n != 0) w.Sample(total).Label("code", CodeName(c)).Label("outcome", OutcomeName(o)).Value(n);
            }
        w.Family(duration, MetricType.Histogram, durationHelp);
        for (int c = 0; c < Codes; c++)
            if (_latency[c].Count != 0) w.Histogram(duration, _latency[c], "code", CodeName(c));
    }

    private static int CodeIndex(RequestCode code) => Enum.IsDefined(code) ? (int)code : 0;

    private static int OutcomeIndex(AckCode outcome) => Enum.IsDefined(outcome) ? (int)outcome + 1 : 0;

    private static string CodeName(int c) => c == 0 ? "other" : Names.Of((RequestCode)c);

    private static string OutcomeName(int o) => o == 0 ? "other" : Names.Of((AckCode)(o - 1));
}
