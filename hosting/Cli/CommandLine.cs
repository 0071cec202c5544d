using Vmm.Hosting.Configuration;

namespace Vmm.Hosting.Cli;

/// <summary>What the command line asks a daemon to do.</summary>
public enum CliAction
{
    /// <summary>Run the daemon.</summary>
    Run,
    /// <summary>Print help and exit.</summary>
    Help,
    /// <summary>Print the version and exit.</summary>
    Version,
    /// <summary>Load the configuration, print every setting with its value and source, and exit.</summary>
    CheckConfig,
}

/// <summary>
/// A daemon's parsed command line: <c>-h/--help</c>, <c>--version</c>, <c>--check-config</c>,
/// <c>--config FILE</c>, and a flag for every setting (<c>--name VALUE</c> or <c>--name=VALUE</c>;
/// a switch may stand alone for true). A daemon takes no other arguments.
/// </summary>
/// <param name="Action">What to do.</param>
/// <param name="ConfigFile">The file given with --config, or null.</param>
/// <param name="Flags">Settings given as flags, in order.</param>
public sealed record CommandLine(CliAction Action, string? ConfigFile, IReadOnlyList<ConfigFlag> Flags)
{
    /// <summary>
    /// Parses <paramref name="args"/>. Help and version win over anything else on the line, so that
    /// <c>--help</c> works even after a typo. Throws <see cref="ConfigException"/> for an unknown option
    /// (with "did you mean"), a missing value, or a stray argument.
    /// </summary>
    public static CommandLine Parse(IReadOnlyList<string> args, ConfigSchema schema)
    {
        if (args.Any(a => a is "-h" or "--help")) return new CommandLine(CliAction.Help, null, []);
        if (args.Contains("--version")) return new CommandLine(CliAction.Version, null, []);

        var action = CliAction.Run;
        string? file = null;
        var flags = new List<ConfigFlag>();
        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new ConfigException(arg.StartsWith('-') && arg is not ("-" or "--")
                    ? $"unknown option {Quote(arg)}"
                    : $"unexpected argument {Quote(arg)} (settings are given as --name VALUE)");

            int eq = arg.IndexOf('=');
            var name = eq < 0 ? arg[2..] : arg[2..eq];
            string? inline = eq < 0 ? null : arg[(eq + 1)..];
            switch (name)
            {
                case "check-config":
                    if (inline is not null) throw new ConfigException("--check-config takes no value");
                    action = CliAction.CheckConfig;
                    continue;
                case "config":
                    file = inline ?? Next(args, ref i, "--config", "FILE");
                    if (file.Length == 0) throw new ConfigException("--config needs a file name");
                    continue;
            }
            var key = schema.Find(name)
                ?? throw new ConfigException($"unknown option {Quote("--" + name)}"
                    + (schema.Suggest(name) is { } near ? $" (did you mean {near.Flag}?)" : ""));
            // A switch alone means true; its other values need '=', so a following argument is never swallowed.
            var value = inline ?? (key.Kind is ConfigKind<bool> ? "true" : Next(args, ref i, key.Flag, key.Kind.Placeholder));
            flags.Add(new ConfigFlag(key, value));
        }
        return new CommandLine(action, file, flags);
    }

    private static string Next(IReadOnlyList<string> args, ref int i, string flag, string placeholder)
    {
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            throw new ConfigException($"{flag} needs a value ({placeholder})");
        return args[++i];
    }

    private static string Quote(string arg) => Vmm.Protocol.Validation.Shorten(arg);
}
