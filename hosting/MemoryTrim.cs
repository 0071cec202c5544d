// A daemon that just let go of a burst of memory (watch queues of clients that stopped reading) gives it back to
// the system instead of keeping it for the next burst: the GC keeps freed regions committed by default, which
// reads as a leak in RSS. A compacting, decommitting collection is cheap on a heap of a few MB, and is run at
// most once per interval, a moment after the request, so a flood of drops costs one.
namespace Vmm.Hosting;

/// <summary>Gives freed heap memory back to the system, on request, rate-limited.</summary>
public static class MemoryTrim
{
    // The least time between two trims, and how long after a request one runs (what is being let go is
    // often still referenced for a moment: a closing connection's buffers).
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    private static int _pending;
    private static long _lastTicks;
    private static long _trims;

    /// <summary>Trims run so far.</summary>
    public static long Trims => Interlocked.Read(ref _trims);

    /// <summary>Asks for a trim soon; returns at once. Requests made while one is pending are one request.</summary>
    public static void Request()
    {
        if (Interlocked.Exchange(ref _pending, 1) != 0) return;
        var sinceLast = TimeSpan.FromTicks(Environment.TickCount64 * TimeSpan.TicksPerMillisecond - Interlocked.Read(ref _lastTicks));
        var wait = sinceLast >= Interval - Delay ? Delay : Interval - sinceLast;
        _ = Task.Run(async () =>
        {
            await Task.Delay(wait).ConfigureAwait(false);
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            Interlocked.Exchange(ref _lastTicks, Environment.TickCount64 * TimeSpan.TicksPerMillisecond);
            Interlocked.Increment(ref _trims);
            Volatile.Write(ref _pending, 0);
        });
    }
}
