// A long-running command (vmmctl watch, virsh event) whose output lines are stamped with this process's clock the
// moment they arrive, so that two watchers of the same change can be compared on one clock.
using System.Diagnostics;

namespace Vmm.Benchmarks.E2E;

internal sealed class LineWatcher : IDisposable
{
    private readonly Process _process;
    private readonly List<(long Stamp, string Line)> _lines = [];

    public LineWatcher(string exe, params string[] args)
    {
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {exe}");
        _process.OutputDataReceived += (_, e) =>
        {
            long now = Stopwatch.GetTimestamp();
            if (e.Data is not null) lock (_lines) _lines.Add((now, e.Data));
        };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The arrival time of the first line after index <paramref name="from"/> that <paramref name="match"/> accepts.</summary>
    public long? Find(int from, Func<string, bool> match)
    {
        lock (_lines)
        {
            for (int i = from; i < _lines.Count; i++)
                if (match(_lines[i].Line)) return _lines[i].Stamp;
        }
        return null;
    }

    public int Count
    {
        get { lock (_lines) return _lines.Count; }
    }

    /// <summary>Waits (polling, up to <paramref name="timeout"/>) for such a line; its arrival time.</summary>
    public long WaitFor(int from, Func<string, bool> match, TimeSpan timeout, string what)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (Find(from, match) is long stamp) return stamp;
            if (waited.Elapsed > timeout) throw new TimeoutException($"not within {timeout.TotalSeconds:0} s: {what}");
            Thread.Sleep(5);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
    }
}
