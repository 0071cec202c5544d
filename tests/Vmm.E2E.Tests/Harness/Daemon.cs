// A process of the cluster: started through the spawner, its stdout and stderr appended to its own log file,
// stopped by its pid (ChildProcess.Stop), or killed with SIGKILL for a fault.
using System.Diagnostics;
using Vmm.Benchmarks.RoundTrip;

namespace Vmm.E2E.Harness;

internal sealed class Daemon : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly List<string> _stdout = [];
    private bool _stopped;

    private Daemon(Process process, StreamWriter log, string name)
    {
        _process = process;
        _log = log;
        Name = name;
        process.OutputDataReceived += (_, e) => Write(e.Data, stdout: true);
        process.ErrorDataReceived += (_, e) => Write(e.Data, stdout: false);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string LogPath { get; private init; } = "";

    public static Daemon Start(Spawner spawner, string logPath, string exe, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) start.Environment[k] = v;
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        log.WriteLine($"--- {DateTime.UtcNow:HH:mm:ss.fff} {exe} {string.Join(' ', args)}");
        return new Daemon(spawner.Start(start), log, Path.GetFileNameWithoutExtension(logPath)) { LogPath = logPath };
    }

    private void Write(string? line, bool stdout)
    {
        if (line is null) return;
        lock (_log)
        {
            _log.WriteLine(line);
            if (stdout) _stdout.Add(line);
        }
    }

    /// <summary>Waits until the process prints <paramref name="line"/> on stdout (a script's "ready").</summary>
    public void WaitForLine(string line, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            lock (_log) if (_stdout.Contains(line)) return;
            if (_process.HasExited)
                throw new E2EException($"{Name} exited with status {_process.ExitCode} before printing '{line}': {Tail(LogPath, 5)}");
            if (waited.Elapsed > timeout)
                throw new E2EException($"{Name} did not print '{line}' within {timeout.TotalSeconds:0} s: {Tail(LogPath, 5)}");
            Thread.Sleep(20);
        }
    }

    /// <summary>The pids of the process's children (Linux's /proc/PID/task/PID/children).</summary>
    public int[] Children()
    {
        try
        {
            return [.. File.ReadAllText($"/proc/{Pid}/task/{Pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>SIGKILL, as a crash would; waits until it is gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Waits for the process to exit by itself.</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>; releases the process and its log.</summary>
    public void Stop(TimeSpan grace)
    {
        if (_stopped) return;
        _stopped = true;
        ChildProcess.Stop(_process, grace);
        lock (_log) _log.Dispose();
    }

    public void Dispose() => Stop(TimeSpan.FromSeconds(10));

    public static string Tail(string path, int lines)
    {
        try
        {
            return string.Join(" | ", File.ReadLines(path).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }
}
