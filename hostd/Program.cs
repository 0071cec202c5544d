// vmm-hostd: settings (file, drop-ins, VMM_* environment, flags), the cluster key, libvirt, then run until
// SIGTERM or SIGINT, after which the controllers are told this boot is stopping.
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Vmm.Hosting.Cli;
using Vmm.Hosting.Configuration;
using Vmm.Hosting.Logging;
using Vmm.Hostd.Libvirt;
using Vmm.Protocol;

namespace Vmm.Hostd;

internal static class Program
{
    private static int Main(string[] args)
    {
        var start = HostdSettings.Load(args, Startup.ProcessEnvironment());
        if (!start.ShouldRun) return start.Exit(Console.Out, Console.Error);
        var settings = start.Settings!;
        Log.Configure(settings.LogLevel);
        var log = Log.For("hostd");
        foreach (var warning in start.Config!.Warnings) log.Warn(warning);
        try
        {
            return Run(settings, log);
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"vmm-hostd: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"vmm-hostd: cannot listen on {settings.Listen}: {e.Message}");
            return ExitCodes.Failure;
        }
        finally
        {
            Log.Shutdown();
        }
    }

    private static int Run(HostdSettings settings, NLog.Logger log)
    {
        var key = KeyFile.Load(settings.KeyFile);
        var controllers = settings.Controllers.Select(c => c.Resolve()).ToList();
        if (controllers.Count == 0) log.Warn("no controllers configured (controllers = [...]): state is reported to nobody");
        var options = new HostdOptions(settings.HostName, (IPEndPoint)settings.Listen.ToEndPoint(), controllers,
            settings.HeartbeatInterval, settings.CallTimeout, settings.MaxConnections, settings.MaxRequestsPerConnection);
        var libvirt = new LibvirtOptions(settings.LibvirtUri, settings.StoragePool, settings.StoragePath,
            settings.MigrationUri.Length == 0 ? null : settings.MigrationUri);

        using (var daemon = new HostdDaemon(new LibvirtHypervisor(libvirt, Log.For("libvirt")), key, options, log))
        {
            using var stop = new CancellationTokenSource();
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
            log.Info("vmm-hostd {0} host {1}, libvirt {2}, state to {3}", HostdSettings.Daemon.Version, settings.HostName,
                settings.LibvirtUri, controllers.Count == 0 ? "nobody" : string.Join(", ", controllers));
            daemon.RunAsync(stop.Token).GetAwaiter().GetResult();
            log.Info("stopped");
        }
        return ExitCodes.Ok;
    }
}
