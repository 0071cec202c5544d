using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Vmm.Hosting.Configuration;

namespace Vmm.Hosting.Cli;

/// <summary>
/// A daemon's start: parse the command line, load the configuration, bind it to the daemon's settings type,
/// and say whether to run or what to print and exit with.
/// </summary>
public static class Startup
{
    /// <summary>
    /// Everything between <c>Main</c>'s arguments and a running daemon. Never throws for bad input: a
    /// <see cref="ConfigException"/> from parsing, loading or <paramref name="bind"/> becomes one stderr line,
    /// "NAME: message", and exit code 2.
    /// </summary>
    /// <param name="daemon">Name, summary, default file and version.</param>
    /// <param name="schema">Every setting.</param>
    /// <param name="args">Main's arguments.</param>
    /// <param name="environment">The environment (see <see cref="ProcessEnvironment"/>).</param>
    /// <param name="bind">Makes the settings object; may throw <see cref="ConfigException"/> (use <see cref="Config.Error"/>).</param>
    /// <param name="check">The daemon's checks of this machine (<see cref="StartChecks"/>), run for --check-config and
    /// before every start; a failed one is one stderr line and exit code 2, as a bad value is.</param>
    public static Startup<T> Load<T>(DaemonInfo daemon, ConfigSchema schema, IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string?> environment, Func<Config, T> bind, Action<T, StartChecks>? check = null) where T : class
    {
        try
        {
            var line = CommandLine.Parse(args, schema);
            switch (line.Action)
            {
                case CliAction.Help:
                    return Startup<T>.Stop(ExitCodes.Ok, HelpText.For(daemon, schema), "");
                case CliAction.Version:
                    return Startup<T>.Stop(ExitCodes.Ok, $"{daemon.Name} {daemon.Version}\n", "");
            }
            var config = Config.Load(schema, new ConfigSources
            {
                DefaultFile = daemon.DefaultConfigFile,
                File = line.ConfigFile,
                Environment = environment,
                Flags = line.Flags,
            });
            var settings = bind(config);
            var checks = new StartChecks(config, starting: line.Action != CliAction.CheckConfig);
            check?.Invoke(settings, checks);
            return line.Action == CliAction.CheckConfig
                ? Startup<T>.Stop(ExitCodes.Ok, config.Render() + checks.Lines, string.Concat(checks.Warnings.Select(w => $"{daemon.Name}: warning: {w}\n")))
                : Startup<T>.Run(settings, config, [.. config.Warnings, .. checks.Warnings]);
        }
        catch (ConfigException e)
        {
            return Startup<T>.Stop(ExitCodes.Usage, "", $"{daemon.Name}: {e.Message}\n");
        }
    }

    /// <summary>This process's environment, as <see cref="Load"/> takes it.</summary>
    public static IReadOnlyDictionary<string, string?> ProcessEnvironment()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
            env[(string)e.Key] = e.Value as string;
        return env;
    }
}

/// <summary>The outcome of <see cref="Startup.Load"/>: settings to run with, or text to print and an exit code.</summary>
public sealed class Startup<T> where T : class
{
    private Startup(T? settings, Config? config, int exitCode, string output, string error, IReadOnlyList<string>? warnings = null)
    {
        Settings = settings;
        Config = config;
        Warnings = warnings ?? [];
        ExitCode = exitCode;
        Output = output;
        Error = error;
    }

    internal static Startup<T> Run(T settings, Config config, IReadOnlyList<string> warnings) =>
        new(settings, config, ExitCodes.Ok, "", "", warnings);

    internal static Startup<T> Stop(int exitCode, string output, string error) => new(null, null, exitCode, output, error);

    /// <summary>True when the daemon should run with <see cref="Settings"/>.</summary>
    [MemberNotNullWhen(true, nameof(Settings), nameof(Config))]
    public bool ShouldRun => Settings is not null;

    /// <summary>The bound settings, when the daemon should run.</summary>
    public T? Settings { get; }

    /// <summary>The configuration behind <see cref="Settings"/> (sources, <see cref="Config.Warnings"/> to log).</summary>
    public Config? Config { get; }

    /// <summary>
    /// When the daemon should run: the configuration's warnings and those of its start checks, for it to log once
    /// logging is up.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The exit code when the daemon should not run.</summary>
    public int ExitCode { get; }

    /// <summary>Text for stdout: help, version, or the --check-config listing.</summary>
    public string Output { get; }

    /// <summary>Text for stderr: one line, "NAME: message"; after --check-config, a line for each warning of the start checks.</summary>
    public string Error { get; }

    /// <summary>Writes <see cref="Output"/> and <see cref="Error"/>, and returns <see cref="ExitCode"/> for Main to return.</summary>
    public int Exit(TextWriter stdout, TextWriter stderr)
    {
        stdout.Write(Output);
        stderr.Write(Error);
        return ExitCode;
    }
}
