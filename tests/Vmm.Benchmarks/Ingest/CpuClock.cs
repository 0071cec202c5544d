// CPU time consumed, at microsecond resolution or better: of this process (getrusage, through
// Environment.CpuUsage) and of the calling thread (clock_gettime with CLOCK_THREAD_CPUTIME_ID). /proc's
// 10 ms ticks are too coarse for rounds of a fraction of a second.
using System.Runtime.InteropServices;

namespace Vmm.Benchmarks.Ingest;

internal static class CpuClock
{
    private const int ClockThreadCpuTime = 3;   // CLOCK_THREAD_CPUTIME_ID on Linux

    /// <summary>User and system CPU time of this process so far, in seconds.</summary>
    public static double Process() => Environment.CpuUsage.TotalTime.TotalSeconds;

    /// <summary>User and system CPU time of the calling thread so far, in seconds.</summary>
    public static double Thread()
    {
        if (ClockGetTime(ClockThreadCpuTime, out var t) != 0) throw new InvalidOperationException($"clock_gettime failed: errno {Marshal.GetLastPInvokeError()}");
        return t.Seconds + t.Nanoseconds / 1e9;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static extern int ClockGetTime(int clock, out TimeSpec time);
}
