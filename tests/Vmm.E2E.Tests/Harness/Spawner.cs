// Every daemon of a cluster is started from one long-lived thread. The parent-death signal the scripts set
// (setpriv --pdeathsig) fires when the *thread* that forked the process ends, not the process: started from a
// thread-pool thread, a daemon would die whenever the pool retires that thread.
using System.Collections.Concurrent;
using System.Diagnostics;

namespace Vmm.E2E.Harness;

internal sealed class Spawner : IDisposable
{
    private readonly BlockingCollection<(ProcessStartInfo Start, TaskCompletionSource<Process> Done)> _queue = new();
    private readonly Thread _thread;

    public Spawner()
    {
        // Background: it must not hold the test host open; when the host exits, the daemons get their signal.
        _thread = new Thread(Run) { IsBackground = true, Name = "e2e-spawner" };
        _thread.Start();
    }

    /// <summary>Starts <paramref name="start"/> on the spawner thread.</summary>
    public Process Start(ProcessStartInfo start)
    {
        var done = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add((start, done));
        return done.Task.GetAwaiter().GetResult();
    }

    private void Run()
    {
        foreach (var (start, done) in _queue.GetConsumingEnumerable())
        {
            try
            {
                done.SetResult(Process.Start(start) ?? throw new E2EException($"could not start {start.FileName}"));
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }
        // Nothing more to start, but the thread stays: its end would signal every daemon it started.
        Thread.Sleep(Timeout.Infinite);
    }

    /// <summary>Stops taking work; the thread lives on (see Run) until the process exits.</summary>
    public void Dispose() => _queue.CompleteAdding();
}
