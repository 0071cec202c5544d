using NLog;
using Vmm.Hosting.Configuration;
using Vmm.Hosting.Logging;
using Vmm.Hosting.Systemd;

namespace Vmm.Hosting.Cli;

/// <summary>What every daemon's settings carry for its logging.</summary>
public interface ILogSettings
{
    /// <summary>The least severe level logged.</summary>
    LogLevel LogLevel { get; }

    /// <summary>A file that gets every line too; empty for none.</summary>
    string LogFile { get; }
}

/// <summary>
/// The part of <c>Main</c> both daemons share, from the loaded settings to the exit code: logging (a log file
/// that cannot be opened is one line and exit 1), the configuration's warnings, the systemd notifier, then the
/// daemon's own run. What an operator can cause while it starts (a bad value found late, a port in use, a key
/// file that cannot be read) is one stderr line, "NAME: message", never a stack trace.
/// </summary>
public static class DaemonMain
{
    /// <param name="name">The daemon's name, which starts every stderr line.</param>
    /// <param name="start">The outcome of <see cref="Startup.Load"/>.</param>
    /// <param name="environment">The process environment (NOTIFY_SOCKET, WATCHDOG_USEC).</param>
    /// <param name="logger">The name of the daemon's main logger.</param>
    /// <param name="run">The daemon itself; returns the exit code.</param>
    /// <param name="failure">The one line for an exception the operator's environment causes (exit 1), or
    /// null for a bug, which goes on up.</param>
    public static int Run<T>(string name, Startup<T> start, IReadOnlyDictionary<string, string?> environment, string logger,
        Func<T, Config, ServiceNotifier, Logger, Task<int>> run, Func<Exception, T, string?> failure)
        where T : class, ILogSettings
    {
        if (!start.ShouldRun) return start.Exit(Console.Out, Console.Error);
        var settings = start.Settings;
        try
        {
            Log.Configure(settings.LogLevel, file: settings.LogFile);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"{name}: {e.Message}");
            return ExitCodes.Failure;
        }
        var log = Log.For(logger);
        foreach (var warning in start.Warnings) log.Warn(warning);
        try
        {
            return run(settings, start.Config, ServiceNotifier.FromEnvironment(environment, log), log).GetAwaiter().GetResult();
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"{name}: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (failure(e, settings) is { } line)
        {
            Console.Error.WriteLine($"{name}: {line}");
            return ExitCodes.Failure;
        }
        finally
        {
            Log.Shutdown();
        }
    }
}
