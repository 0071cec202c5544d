// POSIX signal handlers run on the runtime's signal thread and must return at once; the work a signal asks
// for (a reload reads files and reconfigures logging) runs here instead, one at a time.
using System.Runtime.InteropServices;

namespace Vmm.Hosting.Systemd;

/// <summary>Runs an action for each delivery of a signal (SIGHUP: reload), never two at once.</summary>
public sealed class SignalLoop : IDisposable
{
    private readonly SemaphoreSlim _pending = new(0, 1);
    private readonly PosixSignalRegistration _registration;

    /// <summary>Takes over <paramref name="signal"/> (its default action, for SIGHUP ending the process, no longer applies;
    /// nor does an ignore inherited from the parent, as under nohup: <see cref="InheritedIgnoreUndone"/> says so).</summary>
    public SignalLoop(PosixSignal signal)
    {
        // Only SIGHUP: a shell starts background jobs with SIGINT ignored on purpose, and that is the runtime's to respect.
        if (signal == PosixSignal.SIGHUP) InheritedIgnoreUndone = InheritedIgnore.Undo(1);
        _registration = PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            Raise();
        });
    }

    /// <summary>True when the signal was ignored at start (inherited from the parent) and that was undone.</summary>
    public bool InheritedIgnoreUndone { get; }

    /// <summary>As if the signal arrived. Deliveries while one is pending count once (as the kernel does).</summary>
    public void Raise()
    {
        try { _pending.Release(); }
        catch (SemaphoreFullException) { }
        catch (ObjectDisposedException) { }
    }

    /// <summary>Calls <paramref name="action"/> once per delivery until <paramref name="stop"/>.</summary>
    public async Task RunAsync(Action action, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await _pending.WaitAsync(stop).ConfigureAwait(false);
                action();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _registration.Dispose();
        _pending.Dispose();
    }
}
