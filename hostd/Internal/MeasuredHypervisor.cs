// Every hypervisor call hostd makes, timed: a decorator around the hypervisor (libvirt), so that the latency in the
// metrics is the call's own, measured on the worker thread that makes it, without the wait for a worker or the ACK's
// way back. One histogram per call: each request code (Execute), and the reads of every VM, of one VM and of the
// host's facts. A call that throws, or an Execute whose outcome is not success, is counted as failed as well.
using System.Diagnostics;
using Vmm.Hosting.Metrics;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Hostd.Internal;

/// <summary>An <see cref="IHypervisor"/> that times the calls it passes on.</summary>
internal sealed class MeasuredHypervisor(IHypervisor inner) : IHypervisor, IMetricsSource
{
    // Calls by index: 0 read-all, 1 read, 2 read-facts, then each request code at 2 + its value (request code 0 is not
    // assigned, so index 2 + 0 would be read-facts: codes start at 1), then fence-ha.
    private const int CallReadAll = 0, CallRead = 1, CallReadFacts = 2;
    private static readonly int CallFence = 3 + Enum.GetValues<RequestCode>().Max(c => (int)c), Calls = CallFence + 1;
    private readonly LatencyHistogram[] _latency = [.. Enumerable.Range(0, Calls).Select(_ => new LatencyHistogram())];
    private readonly long[] _failed = new long[Calls];

    public bool Reachable => inner.Reachable;

    public string? UnreachableReason => inner.UnreachableReason;

    public event Action<Guid>? VmChanged
    {
        add => inner.VmChanged += value;
        remove => inner.VmChanged -= value;
    }

    public event Action<bool>? ReachabilityChanged
    {
        add => inner.ReachabilityChanged += value;
        remove => inner.ReachabilityChanged -= value;
    }

    public Task RunAsync(CancellationToken stop) => inner.RunAsync(stop);

    public AttrList ReadFacts() => Timed(CallReadFacts, inner.ReadFacts);

    public IReadOnlyList<VmState> ReadAll() => Timed(CallReadAll, inner.ReadAll);

    public VmState? Read(Guid uuid) => Timed(CallRead, () => inner.Read(uuid));

    public IReadOnlyList<string> FenceHa(bool pause) => Timed(CallFence, () => inner.FenceHa(pause));

    public void ReadUsage(List<VmUsageSample> into) => inner.ReadUsage(into);

    public void GateHaStarts(Func<string?> leaseNotRunning) => inner.GateHaStarts(leaseNotRunning);

    public Outcome Execute(RequestPdu request)
    {
        int call = Enum.IsDefined(request.Code) ? 2 + (int)request.Code : -1;
        if (call < 0) return inner.Execute(request);
        var outcome = Timed(call, () => inner.Execute(request));
        if (outcome.Code != AckCode.Success) Interlocked.Increment(ref _failed[call]);
        return outcome;
    }

    /// <summary>Calls of one kind timed so far (for tests).</summary>
    internal long Count(string call)
    {
        for (int i = 0; i < Calls; i++)
            if (Name(i) == call) return _latency[i].Count;
        return 0;
    }

    private T Timed<T>(int call, Func<T> body)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            return body();
        }
        catch
        {
            Interlocked.Increment(ref _failed[call]);
            throw;
        }
        finally
        {
            _latency[call].Observe(Stopwatch.GetElapsedTime(started));
        }
    }

    private static string Name(int call) => call switch
    {
        CallReadAll => "read-all",
        CallRead => "read",
        CallReadFacts => "read-facts",
        _ when call == CallFence => "fence-ha",
        _ => Names.Of((RequestCode)(call - 2)),
    };

    public void Write(MetricsWriter w)
    {
        w.Single("vmm_libvirt_connected", MetricType.Gauge, "1 while hostd's libvirt connection answers, 0 from losing it until a reconnect succeeds.",
            Reachable ? 1 : 0);
        w.Family("vmm_libvirt_call_duration_seconds", MetricType.Histogram,
            "Duration of hostd's hypervisor calls through libvirt, by call (a request code, or read-all, read, read-facts).");
        for (int i = 0; i < Calls; i++)
            if (_latency[i].Count != 0) w.Histogram("vmm_libvirt_call_duration_seconds", _latency[i], "call", Name(i));
        w.Family("vmm_libvirt_call_failures_total", MetricType.Counter, "Hypervisor calls that failed (threw, or a request whose outcome was not success), by call.");
        for (int i = 0; i < Calls; i++)
            if (_latency[i].Count != 0) w.Sample("vmm_libvirt_call_failures_total").Label("call", Name(i)).Value(Interlocked.Read(ref _failed[i]));
    }

    public void Dispose() => inner.Dispose();
}
