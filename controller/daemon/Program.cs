// vmm-controller: settings, the cluster master key(s), then the inventory (fed by UDP heartbeats), the dispatcher
// (TCP to hosts), the admin socket (vmmctl) and, when metrics-listen is set, Prometheus metrics over HTTP, until
// SIGTERM or SIGINT. Nothing is stored on disk: a restarted controller is whole again once every host's next
// report is complete. SIGHUP reads the settings again. Under systemd (Type=notify) it says when it is ready, what
// it sees, and pings the watchdog while its ingest loop goes round.
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Vmm.Controller.Admin;
using Vmm.Controller.Dispatch;
using Vmm.Controller.Ha;
using Vmm.Controller.Ingest;
using Vmm.Controller.Inventory;
using Vmm.Controller.Metrics;
using Vmm.Controller.Placement;
using Vmm.Hosting.Cli;
using Vmm.Hosting.Configuration;
using Vmm.Hosting.Logging;
using Vmm.Hosting.Metrics;
using Vmm.Hosting.Systemd;
using Vmm.Protocol;

namespace Vmm.Controller;

internal static class Program
{
    private static int Main(string[] args)
    {
        var environment = Startup.ProcessEnvironment();
        return DaemonMain.Run("vmm-controller", ControllerSettings.Load(args, environment), environment, "controller", RunAsync,
            (e, _) => e is SocketException or AdminSocketException ? e.Message : null);
    }

    private static async Task<int> RunAsync(ControllerSettings settings, Config config, ServiceNotifier systemd, NLog.Logger log)
    {
        var masters = ControllerSettings.MasterKeys(settings);
        var keys = new HostKeys(masters.Signing, masters.Second);
        var pins = settings.Hosts.Select(h => new HostPin(h.Name, h.Endpoint.Resolve())).ToList();
        var inventory = new FleetInventory(new InventoryOptions
        {
            HeartbeatInterval = settings.HeartbeatInterval,
            DownAfter = settings.DownAfter,
            MaxHosts = settings.MaxHosts,
            MaxVmsPerHost = settings.MaxVmsPerHost,
            ForgetAfter = settings.ForgetAfter,
            MaxWatchQueueBytes = settings.MaxWatchQueueKib * 1024L,
            MaxEvents = settings.MaxEvents,
            Pins = pins,
        }, log: Log.For("inventory"));

        UdpIngest ingest;
        try
        {
            ingest = new UdpIngest((IPEndPoint)settings.Listen.ToEndPoint(), keys, inventory, Log.For("ingest"));
        }
        catch (SocketException e)
        {
            throw new ConfigException($"listen {settings.Listen}: {e.Message}");
        }
        await using var dispatcher = new Dispatcher(keys, new DispatchOptions
        {
            RequestTimeout = settings.RequestTimeout,
            LongRequestTimeout = settings.LongRequestTimeout,
            BusyRetries = settings.BusyRetries,
            MaxInFlightPerHost = settings.MaxInFlightPerHost,
            HedgeAfter = settings.HedgeAfter,
            MaxRecentRequests = settings.MaxRecentRequests,
        }, Log.For("dispatch"), adoptBoot: inventory.AdoptBoot,
            carriedState: (host, datagram) => ingest.Processor.ProcessCarried(host, datagram));
        var probe = new BootProbe(inventory, dispatcher, Log.For("inventory"));
        probe.Attach();
        var ha = new HaOptions
        {
            ControllerId = settings.ControllerId,
            LeaseInterval = settings.LeaseInterval,
            FenceAfter = settings.FenceAfter,
            Margin = settings.HaMargin,
            MaxDownPercent = settings.HaMaxDownPercent,
            MaxAttempts = settings.HaMaxAttempts,
        };
        var leases = new LeaseBook();
        var keeper = new LeaseKeeper(inventory, dispatcher, leases, ha, Log.For("ha"));
        var restarter = new HaRestarter(inventory, dispatcher, leases, new Placer(), ha, Log.For("ha"));
        await using var admin = new AdminServer(new AdminOptions
        {
            Path = settings.AdminSocket,
            Group = settings.AdminGroup.Length == 0 ? null : settings.AdminGroup,
            MaxClients = settings.MaxAdminConnections,
            MaxClientsPerUid = settings.MaxAdminConnectionsPerUid,
            IdleTimeout = settings.AdminIdleTimeout,
            DrainParallel = settings.DrainParallel,
        }, inventory, dispatcher, new Placer(settings.CpuOvercommit), Log.For("admin"));
        using var metrics = MetricsServer.Open(settings.MetricsListen, ControllerMetrics.Sources(inventory, dispatcher, admin, settings.MetricsVmUsageMax,
            new HaMetrics(keeper, leases, restarter)), Log.For("metrics"));
        using (ingest)
        {
            admin.Start();
            using var stop = new CancellationTokenSource();
            using var monitorStop = new CancellationTokenSource();
            void Stop(PosixSignalContext c)
            {
                c.Cancel = true;
                if (stop.IsCancellationRequested) return;
                systemd.Stopping("stopping");
                stop.Cancel();
            }
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var hup = new SignalLoop(PosixSignal.SIGHUP);
            if (hup.InheritedIgnoreUndone) log.Info("SIGHUP was ignored when this process started (nohup?): taken back, so SIGHUP reloads");
            log.Info("vmm-controller {0}: state on udp {1}, admin socket {2}, {3} pinned host(s), master key id {4}; leases held as {5} " +
                "(renewed every {6} ms, fence-after {7} ms, HA restart {8} ms after that)",
                ControllerSettings.Daemon.Version, settings.Listen, settings.AdminSocket, pins.Count, keys.Ids, ha.ControllerId,
                (long)ha.LeaseInterval.TotalMilliseconds, (long)ha.FenceAfter.TotalMilliseconds, (long)ha.Margin.TotalMilliseconds);
            var running = Task.WhenAll(ingest.RunAsync(stop.Token), inventory.RunAsync(stop.Token), admin.RunAsync(stop.Token),
                keeper.RunAsync(stop.Token), restarter.RunAsync(stop.Token), metrics?.RunAsync(stop.Token) ?? Task.CompletedTask);
            // Every socket is bound (the constructor and Start did it): ready.
            string Status() => Describe(inventory);
            systemd.Ready(Status());

            var current = config;
            var reloads = hup.RunAsync(() =>
            {
                systemd.Reloading("reloading the configuration");
                current = Reload(current, keys, log);
                systemd.Ready(Status());
            }, stop.Token);
            var monitor = ServiceMonitor.RunAsync(systemd, [ingest.Loop], Status, log, monitorStop.Token);

            await running.ConfigureAwait(false);
            await probe.StopAsync().ConfigureAwait(false);
            await monitorStop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(reloads, monitor).ConfigureAwait(false);
            var drains = admin.Drains.Counters;
            log.Info("stopped; {0}; {1} drain(s) run, {2} VM(s) moved, {3} not moved", dispatcher.Recent.Summary(),
                Interlocked.Read(ref drains.Drains), Interlocked.Read(ref drains.Moved), Interlocked.Read(ref drains.NotMoved));
        }
        return ExitCodes.Ok;
    }

    /// <summary>SIGHUP: the log level and file (reopened either way) and the master keys (read again either way,
    /// so a key file replaced in place takes effect: key rotation, spec §3.3); the rest waits for a restart.</summary>
    private static Config Reload(Config current, HostKeys keys, NLog.Logger log)
    {
        log.Info("SIGHUP: reading the configuration again");
        var reload = SettingsReload.TryLoad(current, ControllerSettings.Bind, ControllerSettings.Reloadable, log);
        if (reload is null) return current;
        try
        {
            var masters = ControllerSettings.MasterKeys(reload.Settings);
            keys.Replace(masters.Signing, masters.Second);
            log.Info("master key id now {0}", keys.Ids);
        }
        catch (ConfigException e)
        {
            log.Error("reload failed, still running with the settings and keys loaded before: {0}", e.Message);
            return current;
        }
        try
        {
            Log.Configure(reload.Settings.LogLevel, file: reload.Settings.LogFile);
        }
        catch (IOException e)
        {
            log.Error("reload: {0}; logging goes on as before", e.Message);
        }
        if (reload.HasChanged(ControllerSettings.Keys.LogLevel)) log.Info("log level now {0}", reload.Settings.LogLevel);
        return reload.Config;
    }

    /// <summary>systemd's status line: "3 hosts up, 1 down, 42 VMs".</summary>
    private static string Describe(FleetInventory inventory)
    {
        var (up, down, vms) = inventory.Census();
        return $"{up} host{(up == 1 ? "" : "s")} up, {down} down, {vms} VM{(vms == 1 ? "" : "s")}";
    }
}
