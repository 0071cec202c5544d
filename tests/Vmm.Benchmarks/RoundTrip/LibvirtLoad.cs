// libvirt called from this process through hostd's bindings (so both sides call libvirt the same way): the
// libvirtd side of the round trip (libvirt's remote driver to the private libvirtd's test driver), and the
// test driver in this process with no daemon at all, the floor under both sides. Each lane is a thread with
// its own domain, calling in a loop; the lanes share one connection (libvirt's remote driver multiplexes
// the calls of many threads on one socket) or have one connection each.
// The domain handles are looked up once, before the timing: hostd looks its VM up for every request, so
// this leaves libvirtd the cheaper path.
using System.Diagnostics;
using Vmm.Hostd.Interop;

namespace Vmm.Benchmarks.RoundTrip;

internal sealed class LibvirtLoad : ILoad
{
    private readonly ConnectionHandle[] _connections;
    private readonly DomainHandle[] _domains;
    private readonly Action<DomainHandle> _operation;

    /// <param name="side">Who answers and how, for the report.</param>
    /// <param name="uri">The URI of the test driver's node: remote (through libvirtd) or in this process.</param>
    /// <param name="vms">The domain of each lane.</param>
    /// <param name="connectionPerLane">One connection for each lane, or one shared by all.</param>
    /// <param name="operation">The report's name for one operation.</param>
    /// <param name="call">One operation: the libvirt calls it is made of.</param>
    public LibvirtLoad(string side, string uri, IReadOnlyList<Guid> vms, bool connectionPerLane, string operation, Action<DomainHandle> call)
    {
        Side = side;
        Operation = operation;
        _operation = call;
        _connections = new ConnectionHandle[connectionPerLane ? vms.Count : 1];
        _domains = new DomainHandle[vms.Count];
        try
        {
            for (int i = 0; i < _connections.Length; i++) _connections[i] = LibvirtApi.Open(uri);
            for (int i = 0; i < vms.Count; i++)
                _domains[i] = LibvirtApi.LookupDomain(_connections[connectionPerLane ? i : 0], vms[i])
                    ?? throw new SetupException($"libvirt has no domain {vms[i]} at {uri}");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Operation { get; }

    public string Side { get; }

    public int MaxInFlight => _domains.Length;

    public TimeSpan Run(int inFlight, int count, long[]? latencies)
    {
        if (inFlight == 1)
        {
            var dom = _domains[0];
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++)
            {
                long started = Stopwatch.GetTimestamp();
                _operation(dom);
                if (latencies is not null) latencies[i] = Stopwatch.GetTimestamp() - started;
            }
            return Stopwatch.GetElapsedTime(t0);
        }
        if (latencies is not null) throw new ArgumentException("latencies are measured at one in flight", nameof(latencies));
        return RunThreads(inFlight, count);
    }

    // inFlight threads, each its own domain, take operations from one budget; the clock runs from the moment
    // all of them are ready to the moment the last one is done (thread start-up is left out).
    private TimeSpan RunThreads(int inFlight, int count)
    {
        int remaining = count;
        Exception? failure = null;
        using var ready = new CountdownEvent(inFlight);
        using var go = new ManualResetEventSlim();
        var threads = new Thread[inFlight];
        for (int i = 0; i < inFlight; i++)
        {
            var dom = _domains[i];
            threads[i] = new Thread(() =>
            {
                ready.Signal();
                go.Wait();
                try
                {
                    while (Interlocked.Decrement(ref remaining) >= 0) _operation(dom);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                    Volatile.Write(ref remaining, 0);
                }
            }) { IsBackground = true, Name = $"libvirtd-lane-{i}" };
            threads[i].Start();
        }
        ready.Wait();
        long t0 = Stopwatch.GetTimestamp();
        go.Set();
        foreach (var t in threads) t.Join();
        var elapsed = Stopwatch.GetElapsedTime(t0);
        if (failure is not null) throw new InvalidOperationException($"{Side}: {Operation} failed: {failure.Message}", failure);
        return elapsed;
    }

    public void Dispose()
    {
        foreach (var d in _domains) d?.Dispose();
        foreach (var c in _connections) c?.Dispose();
    }
}
