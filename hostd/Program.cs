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
        catch (StartupException e)
        {
            Console.Error.WriteLine($"vmm-hostd: {e.Message}");
            return e.ExitCode;
        }
        finally
        {
            Log.Shutdown();
        }
    }

    private static int Run(HostdSettings settings, NLog.Logger log)
    {
        var key = LoadKey(settings.KeyFile);
        var controllers = settings.Controllers.Select(Resolve).ToList();
        if (controllers.Count == 0) log.Warn("no controllers configured (controllers = [...]): state is reported to nobody");
        var options = new HostdOptions(settings.HostName, (IPEndPoint)settings.Listen.ToEndPoint(), controllers,
            settings.HeartbeatInterval, settings.CallTimeout, settings.MaxConnections, settings.MaxRequestsPerConnection);
        var libvirt = new LibvirtOptions(settings.LibvirtUri, settings.StoragePool, settings.StoragePath,
            settings.MigrationUri.Length == 0 ? null : settings.MigrationUri);

        HostdDaemon daemon;
        try
        {
            daemon = new HostdDaemon(new LibvirtHypervisor(libvirt, Log.For("libvirt")), key, options, log);
        }
        catch (SocketException e)
        {
            throw new StartupException($"cannot listen on {settings.Listen}: {e.Message}", ExitCodes.Failure);
        }
        using (daemon)
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

    private static ClusterKey LoadKey(string path)
    {
        try
        {
            return ClusterKey.Load(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ProtocolException or ArgumentException)
        {
            throw new StartupException($"{e.Message} (key-file; make one with `vmmctl key generate {path}`)");
        }
    }

    private static IPEndPoint Resolve(HostPort controller)
    {
        if (controller.Address is { } address) return new IPEndPoint(address, controller.Port);
        try
        {
            var found = Dns.GetHostAddresses(controller.Host);
            var pick = found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault();
            return pick is null ? throw new StartupException($"controller {controller}: the name has no address") : new IPEndPoint(pick, controller.Port);
        }
        catch (SocketException e)
        {
            throw new StartupException($"controller {controller}: {e.Message}");
        }
    }
}

/// <summary>A start-up problem the operator must fix: one line, exit 2 (configuration) or 1 (a resource).</summary>
internal sealed class StartupException(string message, int exitCode = ExitCodes.Usage) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
