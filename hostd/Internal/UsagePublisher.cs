// The usage loop (spec §16): every usage-interval, one hypervisor call reads the counters of every running VM (on a
// worker, with the call deadline, never on the heartbeat path) and the sample goes out as USAGE datagrams. A sample
// that fails or is late is skipped: counters are monotonic, so the next one carries everything.
using System.Diagnostics;
using NLog;

namespace Vmm.Hostd.Internal;

internal sealed class UsagePublisher(IHypervisor hypervisor, StateSender sender, TimeSpan interval, TimeSpan callTimeout,
    BlockingWorkers workers, Logger log, TimeProvider? time = null)
{
    private readonly List<VmUsageSample> _sample = [];
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _samples, _datagrams, _failures;
    private bool _failing;

    /// <summary>The interval; zero: no usage is sent.</summary>
    public TimeSpan Interval => interval;

    /// <summary>Samples sent, USAGE datagrams they took, and samples that failed or were late.</summary>
    public long Samples => Interlocked.Read(ref _samples);
    public long Datagrams => Interlocked.Read(ref _datagrams);
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Samples every interval until <paramref name="stop"/>; returns at once when the interval is zero.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        if (interval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
                await SampleOnceAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Reads and sends one sample; false when it failed (logged once until one succeeds again).</summary>
    public async Task<bool> SampleOnceAsync()
    {
        if (!hypervisor.Reachable) return false;
        try
        {
            // One sample at a time: the list is reused, so a late call still running keeps the next from starting.
            ulong sampledMs = await workers.Run(Read, callTimeout).ConfigureAwait(false);
            int datagrams = sender.SendUsage(_sample, sampledMs, (uint)Math.Min(interval.TotalMilliseconds, uint.MaxValue));
            Interlocked.Increment(ref _samples);
            Interlocked.Add(ref _datagrams, datagrams);
            if (_failing) log.Info("usage read again: {0} VMs", _sample.Count);
            _failing = false;
            return true;
        }
        catch (Exception e) when (e is HypervisorException or TimeoutException or InvalidOperationException)
        {
            Interlocked.Increment(ref _failures);
            if (!_failing) log.Warn("usage not read: {0}; trying again every {1} s", e is TimeoutException ? "the hypervisor did not answer within the call timeout" : e.Message, interval.TotalSeconds);
            _failing = true;
            return false;
        }
    }

    private readonly Lock _reading = new();

    private ulong Read()
    {
        if (!_reading.TryEnter()) throw new InvalidOperationException("the previous usage read has not returned yet");
        try
        {
            _sample.Clear();
            ulong at = (ulong)(Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1000));
            hypervisor.ReadUsage(_sample);
            return at;
        }
        finally
        {
            _reading.Exit();
        }
    }
}
