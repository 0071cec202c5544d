// A command running alongside a test or the benchmark (virsh's event streams, vmmctl watch, a vmmctl request to
// interrupt): every line it prints is kept, stdout's stamped with this process's clock the moment it arrives, so
// that two watchers of one change can be compared on one clock.
using System.Diagnostics;
using System.Text;

namespace Vmm.E2E.Harness;

internal sealed class Background : IDisposable
{
    private readonly List<(long Stamp, string Line)> _lines = [];
    private readonly StringBuilder _output = new();

    public Background(string exe, params string[] args)
    {
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        Process = Process.Start(start) ?? throw new E2EException($"could not start {exe}");
        Process.OutputDataReceived += (_, e) =>
        {
            long now = Stopwatch.GetTimestamp();
            if (e.Data is null) return;
            lock (_lines)
            {
                _lines.Add((now, e.Data));
                _output.AppendLine(e.Data);
            }
        };
        Process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_lines) _output.AppendLine(e.Data);
        };
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    public Process Process { get; }

    /// <summary>Everything it printed so far, stdout and stderr in the order they arrived.</summary>
    public string Output
    {
        get { lock (_lines) return _output.ToString(); }
    }

    /// <summary>How many stdout lines have arrived.</summary>
    public int Count
    {
        get { lock (_lines) return _lines.Count; }
    }

    /// <summary>The arrival time of the first stdout line from index <paramref name="from"/> on that <paramref name="match"/> accepts.</summary>
    public long? Find(int from, Func<string, bool> match)
    {
        lock (_lines)
        {
            for (int i = from; i < _lines.Count; i++)
                if (match(_lines[i].Line)) return _lines[i].Stamp;
        }
        return null;
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

    /// <summary>Waits for the command to end and for all of its output to be collected: a wait with a timeout
    /// returns before the asynchronous readers have handed over the last lines.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!Process.WaitForExit(timeout)) return false;
        Process.WaitForExit();
        return true;
    }

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill();
        Process.WaitForExit();
        Process.Dispose();
    }
}
