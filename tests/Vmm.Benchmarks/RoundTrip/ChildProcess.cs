using System.Diagnostics;

namespace Vmm.Benchmarks.RoundTrip;

/// <summary>Stopping a daemon the benchmark (or a test) started, by its pid.</summary>
internal static class ChildProcess
{
    /// <summary>SIGTERM, then SIGKILL if it has not exited within <paramref name="grace"/>; disposes the handle.</summary>
    public static void Stop(Process process, TimeSpan grace)
    {
        try
        {
            if (!process.HasExited)
            {
                using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) kill.WaitForExit();
                if (!process.WaitForExit(grace)) process.Kill();
                process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // It had already exited and been reaped.
        }
        process.Dispose();
    }
}
