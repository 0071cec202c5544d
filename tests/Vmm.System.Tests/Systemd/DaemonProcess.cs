using System.Collections.Concurrent;
using System.Diagnostics;

namespace Vmm.System.Tests.Systemd;

/// <summary>
/// One AOT daemon from out/ started as systemd would start it (NOTIFY_SOCKET, WATCHDOG_USEC), its stderr kept
/// line by line, signalled by pid, and killed by pid if a test leaves it running.
/// </summary>
internal sealed class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    public DaemonProcess(string exe, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Nothing of the test runner's own Vmm or systemd environment leaks in.
        foreach (var name in psi.Environment.Keys.Where(k => k.StartsWith("VMM_", StringComparison.Ordinal) || k is "NOTIFY_SOCKET" or "WATCHDOG_USEC" or "WATCHDOG_PID" or "JOURNAL_STREAM").ToList())
            psi.Environment.Remove(name);
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        _process = Process.Start(psi)!;
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public int Pid => _process.Id;

    /// <summary>Everything the daemon wrote so far.</summary>
    public string Log => string.Join("\n", _lines);

    public IReadOnlyList<string> Lines => [.. _lines];

    /// <summary>Sends <paramref name="signal"/> (TERM, HUP, ...) with kill(1).</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, Pid.ToString()])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits up to 20 s for a line containing <paramref name="text"/>; returns it.</summary>
    public string WaitForLine(string text)
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < TimeSpan.FromSeconds(20))
        {
            var line = _lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
            if (line is not null) return line;
            if (_process.HasExited && !_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
            {
                Thread.Sleep(200);   // the last lines may still be on their way through the pipe
                line = _lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
                if (line is not null) return line;
                Assert.Fail($"the daemon exited ({_process.ExitCode}) without logging \"{text}\":\n{Log}");
            }
            Thread.Sleep(50);
        }
        Assert.Fail($"no line with \"{text}\" within 20 s:\n{Log}");
        return "";
    }

    /// <summary>Waits up to 20 s for the process to end; returns its exit code.</summary>
    public int WaitForExit()
    {
        Assert.True(_process.WaitForExit(20_000), $"the daemon did not exit within 20 s:\n{Log}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
