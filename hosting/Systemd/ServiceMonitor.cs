// The one periodic duty towards systemd: keep the status line fresh and ping the watchdog while, and
// only while, every loop the daemon declared is going round.
using NLog;

namespace Vmm.Hosting.Systemd;

/// <summary>Refreshes the status line and pings the watchdog for a running daemon.</summary>
public static class ServiceMonitor
{
    /// <summary>How often the status line is recomputed (sent only when it changed).</summary>
    public static readonly TimeSpan StatusEvery = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Until <paramref name="stop"/>: every <see cref="StatusEvery"/> sends <paramref name="status"/>'s line if it
    /// changed, and at half the watchdog interval sends <c>WATCHDOG=1</c> if every one of
    /// <paramref name="loops"/> is alive. A silent loop is logged once per silence, naming it, and the
    /// watchdog then goes unpinged so that systemd restarts the daemon (WatchdogSec=). Runs on the thread
    /// pool on purpose: a starved pool cannot serve requests either, and should not ping.
    /// </summary>
    public static async Task RunAsync(ServiceNotifier notifier, IReadOnlyList<Liveness> loops, Func<string> status,
        Logger log, CancellationToken stop)
    {
        if (!notifier.Enabled) return;
        var period = notifier.WatchdogInterval is { } w && w / 2 < StatusEvery ? w / 2 : StatusEvery;
        var silent = new HashSet<Liveness>();
        using var timer = new PeriodicTimer(period);
        try
        {
            do
            {
                notifier.SetStatus(status());
                if (notifier.WatchdogInterval is null) continue;
                bool healthy = true;
                foreach (var loop in loops)
                {
                    if (loop.IsAlive)
                    {
                        if (silent.Remove(loop)) log.Info("watchdog: the {0} is going round again", loop.Name);
                        continue;
                    }
                    healthy = false;
                    if (silent.Add(loop))
                        log.Error("watchdog: the {0} has not gone round for {1:0.#} s; not pinging systemd's watchdog", loop.Name, loop.Silence.TotalSeconds);
                }
                if (healthy) notifier.Watchdog();
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
