// vmm-hostd: settings (file, drop-ins, VMM_* environment, flags), this host's key, libvirt, then run until
// SIGTERM or SIGINT, after which requests in flight are finished or answered and the controllers are told
// this boot is stopping. SIGHUP reads the settings again. Under systemd (Type=notify) it says when it is
// ready, what it is doing, and pings the watchdog while its heartbeat loop goes round. With metrics-listen set, it
// serves Prometheus metrics over HTTP as well.
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Vmm.Hosting.Cli;
using Vmm.Hosting.Configuration;
using Vmm.Hosting.Logging;
using Vmm.Hosting.Metrics;
using Vmm.Hosting.Systemd;
using Vmm.Hostd.Internal;
using Vmm.Hostd.Libvirt;
using Vmm.Protocol;

namespace Vmm.Hostd;

internal static class Program
{
    /// <summary>The longest READY waits for the first state to go out (libvirt may be slow to answer).</summary>
    private static readonly TimeSpan ReadyWait = TimeSpan.FromSeconds(10);

    private static int Main(string[] args)
    {
        var environment = Startup.ProcessEnvironment();
        return DaemonMain.Run("vmm-hostd", HostdSettings.Load(args, environment), environment, "hostd", RunAsync,
            (e, s) => e switch
            {
                SocketException => $"cannot listen on {s.Listen}: {e.Message}",
                WatchdogException => e.Message,
                _ => null,
            });
    }

    private static async Task<int> RunAsync(HostdSettings settings, Config config, ServiceNotifier systemd, NLog.Logger log)
    {
        var loaded = HostdSettings.HostKeys(settings);
        var keys = new KeyRing(loaded.Signing, loaded.Second);
        var controllers = Resolve(settings.Controllers, log);
        var options = new HostdOptions(settings.HostName, (IPEndPoint)settings.Listen.ToEndPoint(), controllers,
            settings.HeartbeatInterval, settings.CallTimeout, settings.MaxConnections, settings.MaxRequestsPerConnection,
            settings.StopTimeout, settings.MaxConnectionsPerSource, settings.HandshakeTimeout, settings.MaxQueuedAckBytes,
            settings.MinDatagramsPerInterval, StatePath: settings.StatePath, LeaseFile: settings.LeaseFile, FenceByPausing: settings.FencePause,
            WatchdogDevice: settings.WatchdogDevice, WatchdogTimeout: settings.WatchdogTimeout, UsageInterval: settings.UsageInterval);
        var libvirt = new LibvirtOptions(settings.LibvirtUri, settings.StoragePool, settings.StoragePath,
            settings.MigrationUri.Length == 0 ? null : settings.MigrationUri, settings.ImagePaths);

        using (var daemon = new HostdDaemon(new LibvirtHypervisor(libvirt, Log.For("libvirt")), keys, options, log))
        {
            using var metrics = MetricsServer.Open(settings.MetricsListen, HostdMetrics.Sources(daemon), Log.For("metrics"));
            using var stop = new CancellationTokenSource();
            using var monitorStop = new CancellationTokenSource();
            void Stop(PosixSignalContext c)
            {
                c.Cancel = true;
                if (stop.IsCancellationRequested) return;
                systemd.Stopping($"stopping: {daemon.Server.RequestsInFlight} request(s) in flight");
                stop.Cancel();
            }
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var hup = new SignalLoop(PosixSignal.SIGHUP);
            if (hup.InheritedIgnoreUndone) log.Info("SIGHUP was ignored when this process started (nohup?): taken back, so SIGHUP reloads");
            log.Info("vmm-hostd {0} host {1}, libvirt {2}, state to {3}, key id {4}", HostdSettings.Daemon.Version, settings.HostName,
                settings.LibvirtUri, Describe(controllers), keys.Ids);

            var serving = metrics?.RunAsync(stop.Token) ?? Task.CompletedTask;
            var running = daemon.RunAsync(stop.Token);
            // Ready once the listener is bound (it is, since the daemon was made) and the controllers have heard
            // this boot's first state, or that libvirt could not be reached; not later than ReadyWait.
            await Task.WhenAny(daemon.Publisher.Started, running, Task.Delay(ReadyWait, stop.Token)).ConfigureAwait(false);
            if (!stop.IsCancellationRequested) systemd.Ready(daemon.Status());

            var trim = StartupTrim.RunAsync(settings.StartUpTrim, log, stop.Token);
            var current = config;
            var reloads = hup.RunAsync(() =>
            {
                systemd.Reloading("reloading the configuration");
                current = Reload(current, daemon, log);
                systemd.Ready(daemon.Status());
            }, stop.Token);
            var monitor = ServiceMonitor.RunAsync(systemd, [daemon.Publisher.Heartbeat], daemon.Status, log, monitorStop.Token);

            await running.ConfigureAwait(false);
            await serving.ConfigureAwait(false);
            await monitorStop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(reloads, monitor, trim).ConfigureAwait(false);
            log.Info("stopped after {0}", daemon.Counts);
        }
        return ExitCodes.Ok;
    }

    /// <summary>SIGHUP: the log level and file (reopened either way), the controllers list, and this host's keys (read
    /// again either way, so a key file replaced in place takes effect: key rotation, spec §3.3); the rest waits for a
    /// restart.</summary>
    private static Config Reload(Config current, HostdDaemon daemon, NLog.Logger log)
    {
        log.Info("SIGHUP: reading the configuration again");
        var reload = SettingsReload.TryLoad(current, HostdSettings.Bind, HostdSettings.Reloadable, log);
        if (reload is null) return current;
        var settings = reload.Settings;
        Hosting.Configuration.KeyFile.Loaded keys;
        try
        {
            keys = HostdSettings.HostKeys(settings);
        }
        catch (ConfigException e)
        {
            log.Error("reload failed, still running with the settings and keys loaded before: {0}", e.Message);
            return current;
        }
        List<IPEndPoint>? controllers = null;
        if (reload.HasChanged(HostdSettings.Keys.Controllers))
        {
            try
            {
                controllers = Resolve(settings.Controllers, log);
            }
            catch (ConfigException e)
            {
                log.Error("reload failed, still running with the settings loaded before: controllers: {0}", e.Message);
                return current;
            }
        }
        try
        {
            Log.Configure(settings.LogLevel, file: settings.LogFile);
        }
        catch (IOException e)
        {
            log.Error("reload: {0}; logging goes on as before", e.Message);
        }
        daemon.Keys.Replace(keys.Signing, keys.Second);
        log.Info("key id now {0}", daemon.Keys.Ids);
        if (controllers is not null)
        {
            daemon.Publisher.SetControllers(controllers);
            log.Info("state now goes to {0}", Describe(controllers));
        }
        if (reload.HasChanged(HostdSettings.Keys.LogLevel)) log.Info("log level now {0}", settings.LogLevel);
        return reload.Config;
    }

    private static List<IPEndPoint> Resolve(IReadOnlyList<HostPort> controllers, NLog.Logger log)
    {
        var resolved = controllers.Select(c => c.Resolve()).ToList();
        if (resolved.Count == 0) log.Warn("no controllers configured (controllers = [...]): state is reported to nobody");
        return resolved;
    }

    private static string Describe(IReadOnlyList<IPEndPoint> controllers) =>
        controllers.Count == 0 ? "nobody" : string.Join(", ", controllers);
}
