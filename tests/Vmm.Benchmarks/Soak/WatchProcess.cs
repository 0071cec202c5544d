// vmmctl watch as an operator runs it, in two manners: one that reads everything (stdout to /dev/null, through
// a shell that execs vmmctl so that the pid is vmmctl's), and one that never reads (stdout a pipe this program
// leaves alone: once the pipe is full vmmctl blocks, stops reading its socket, and the controller's queue for it
// fills). Each is stopped by its pid.
using System.Diagnostics;
using Vmm.Benchmarks.RoundTrip;

namespace Vmm.Benchmarks.Soak;

internal sealed class WatchProcess : IDisposable
{
    private readonly Process _process;
    private Task? _drain;

    private WatchProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>A watcher that reads and throws away everything: <c>vmmctl watch --json &gt; /dev/null</c>.</summary>
    public static WatchProcess Reading(string vmmctl, string socket)
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in (string[])["-c", "exec \"$0\" --socket \"$1\" watch --json > /dev/null", vmmctl, socket]) start.ArgumentList.Add(a);
        return Started(start);
    }

    /// <summary>A watcher whose stdout nobody reads.</summary>
    public static WatchProcess Stuck(string vmmctl, string socket)
    {
        var start = new ProcessStartInfo(vmmctl) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["--socket", socket, "watch", "--json"]) start.ArgumentList.Add(a);
        return Started(start);
    }

    private static WatchProcess Started(ProcessStartInfo start)
    {
        var process = Process.Start(start) ?? throw new SetupException("vmmctl watch did not start");
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return new WatchProcess(process);
    }

    /// <summary>Starts reading (and throwing away) what a stuck watcher printed, so that it can reach the end of its stream.</summary>
    public void Drain() => _drain ??= _process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);

    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    public void Dispose()
    {
        ChildProcess.Stop(_process, TimeSpan.FromSeconds(2));
        try { _drain?.Wait(TimeSpan.FromSeconds(2)); }
        catch (AggregateException) { }
    }
}
