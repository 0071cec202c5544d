// vmm-controller: settings, the cluster key, then the inventory (fed by UDP heartbeats), the dispatcher
// (TCP to hosts) and the admin socket (vmmctl), until SIGTERM or SIGINT. Nothing is stored on disk: a
// restarted controller is whole again once every host's next report is complete.
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Vmm.Controller.Dispatch;
using Vmm.Hosting.Cli;
using Vmm.Hosting.Configuration;
using Vmm.Hosting.Logging;
using Vmm.Protocol;

namespace Vmm.Controller;

internal static class Program
{
    private static int Main(string[] args)
    {
        var start = ControllerSettings.Load(args, Startup.ProcessEnvironment());
        if (!start.ShouldRun) return start.Exit(Console.Out, Console.Error);
        var settings = start.Settings!;
        Log.Configure(settings.LogLevel);
        var log = Log.For("controller");
        foreach (var warning in start.Config!.Warnings) log.Warn(warning);
        try
        {
            return RunAsync(settings, log).GetAwaiter().GetResult();
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"vmm-controller: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is SocketException or AdminSocketException)
        {
            Console.Error.WriteLine($"vmm-controller: {e.Message}");
            return ExitCodes.Failure;
        }
        finally
        {
            Log.Shutdown();
        }
    }

    private static async Task<int> RunAsync(ControllerSettings settings, NLog.Logger log)
    {
        var key = KeyFile.Load(settings.KeyFile);
        var pins = settings.Hosts.Select(h => new HostPin(h.Name, h.Endpoint.Resolve())).ToList();
        var inventory = new Inventory(new InventoryOptions
        {
            HeartbeatInterval = settings.HeartbeatInterval,
            DownAfter = settings.DownAfter,
            Pins = pins,
        }, log: Log.For("inventory"));

        UdpIngest ingest;
        try
        {
            ingest = new UdpIngest((IPEndPoint)settings.Listen.ToEndPoint(), key, inventory, Log.For("ingest"));
        }
        catch (SocketException e)
        {
            throw new ConfigException($"listen {settings.Listen}: {e.Message}");
        }
        await using var dispatcher = new Dispatcher(key, new DispatchOptions
        {
            RequestTimeout = settings.RequestTimeout,
            LongRequestTimeout = settings.LongRequestTimeout,
            BusyRetries = settings.BusyRetries,
            MaxInFlightPerHost = settings.MaxInFlightPerHost,
        }, Log.For("dispatch"));
        await using var admin = new AdminServer(new AdminOptions
        {
            Path = settings.AdminSocket,
            Group = settings.AdminGroup.Length == 0 ? null : settings.AdminGroup,
        }, inventory, dispatcher, new Placer(), Log.For("admin"));
        using (ingest)
        {
            admin.Start();
            using var stop = new CancellationTokenSource();
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
            log.Info("vmm-controller {0}: state on udp {1}, admin socket {2}, {3} pinned host(s)",
                ControllerSettings.Daemon.Version, settings.Listen, settings.AdminSocket, pins.Count);
            await Task.WhenAll(ingest.RunAsync(stop.Token), inventory.RunAsync(stop.Token), admin.RunAsync(stop.Token)).ConfigureAwait(false);
            log.Info("stopped");
        }
        return ExitCodes.Ok;
    }
}
