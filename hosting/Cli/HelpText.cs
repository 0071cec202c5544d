using System.Text;
using Vmm.Hosting.Configuration;

namespace Vmm.Hosting.Cli;

/// <summary>A daemon's --help, generated from its schema so that it lists every setting as it is.</summary>
public static class HelpText
{
    /// <summary>The help text: usage, options, then every setting with its flag, default, range and variable.</summary>
    public static string For(DaemonInfo daemon, ConfigSchema schema)
    {
        var sb = new StringBuilder();
        sb.Append($"{daemon.Name} {daemon.Version} - {daemon.Summary}\n\n");
        sb.Append($"Usage: {daemon.Name} [--config FILE] [--check-config] [--SETTING VALUE]...\n\n");
        sb.Append("Options:\n");
        sb.Append($"  --config FILE    read settings from FILE (default {daemon.DefaultConfigFile}; may be missing)\n");
        sb.Append("                   and then from FILE.d/*.toml|*.ini; each file is TOML (.toml) or INI (.ini)\n");
        sb.Append("  --check-config   load the configuration and check it as a start would (key file, listen\n");
        sb.Append("                   address, log file: exit 2 and one line if not), print every setting with\n");
        sb.Append("                   its value and source, exit\n");
        sb.Append("  -h, --help       show this help and exit\n");
        sb.Append("  --version        show the version and exit\n\n");
        sb.Append("Settings: \"name = value\" in a file, --name VALUE on the command line, VMM_NAME in the\n");
        sb.Append("environment. Each overrides the one before: default, FILE, FILE.d/ in name order,\n");
        sb.Append("environment, command line.\n");
        foreach (var key in schema.Keys)
        {
            sb.Append($"\n  {key.Flag} {key.Kind.Placeholder}\n");
            sb.Append($"      {key.Description}\n");
            var facts = new List<string>
            {
                "default: " + (key.DefaultText.Length == 0 ? "none" : key.DefaultText)
                    + (key.DefaultNote is { } note ? $" ({note})" : ""),
            };
            if (key.Kind.Constraint is { } constraint) facts.Add(constraint);
            facts.Add("env: " + key.EnvironmentName);
            sb.Append("      ").Append(string.Join("; ", facts)).Append('\n');
        }
        sb.Append("\nSignals: SIGTERM or SIGINT stops cleanly. SIGHUP reads the configuration again from the same\n");
        sb.Append("sources: settings marked \"SIGHUP applies\" take effect and log-file is reopened; any other\n");
        sb.Append("change is logged as needing a restart; a broken file is logged and the old settings kept.\n");
        sb.Append($"\nExit status: {ExitCodes.Ok} success, {ExitCodes.Failure} failure while running, {ExitCodes.Usage} usage or configuration error.\n");
        return sb.ToString();
    }
}
