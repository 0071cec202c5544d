// SIGHUP's half that is the same for both daemons: read the configuration again from the very sources it
// was first read from (file, drop-ins, the environment and flags the process started with), and sort the
// changes into those the daemon applies now and those that wait for a restart.
using Vmm.Hosting.Configuration;
using NLog;

namespace Vmm.Hosting.Systemd;

/// <summary>A configuration read again, and what changed.</summary>
/// <param name="Config">The new configuration.</param>
/// <param name="Settings">The daemon's settings bound from it.</param>
/// <param name="Changed">Every setting whose value differs from before, in schema order.</param>
public sealed record SettingsReload<T>(Config Config, T Settings, IReadOnlyList<ConfigKey> Changed) where T : class
{
    /// <summary>True when <paramref name="key"/> changed.</summary>
    public bool HasChanged(ConfigKey key) => Changed.Contains(key);
}

/// <summary>Reads a daemon's configuration again.</summary>
public static class SettingsReload
{
    /// <summary>
    /// Loads the configuration again from <paramref name="current"/>'s sources and binds it. A bad file (or
    /// value) is one error line and null: the daemon keeps running as it was. Every changed setting not in
    /// <paramref name="applied"/> is logged as one line, "needs a restart: KEY ...".
    /// </summary>
    /// <param name="current">The configuration the daemon runs with.</param>
    /// <param name="bind">The daemon's binder (it may throw <see cref="ConfigException"/>).</param>
    /// <param name="applied">Settings the daemon changes while running.</param>
    /// <param name="log">Where the outcome goes.</param>
    public static SettingsReload<T>? TryLoad<T>(Config current, Func<Config, T> bind, IReadOnlyCollection<ConfigKey> applied, Logger log)
        where T : class
    {
        Config config;
        T settings;
        try
        {
            config = Config.Load(current.Schema, current.Sources);
            settings = bind(config);
        }
        catch (ConfigException e)
        {
            log.Error("reload failed, still running with the settings loaded before: {0}", e.Message);
            return null;
        }
        foreach (var warning in config.Warnings) log.Warn(warning);
        var changed = Changed(current, config);
        foreach (var key in changed)
            if (!applied.Contains(key))
                log.Warn("needs a restart: {0} (now {1}, running with {2})", key.Name, Shown(config, key), Shown(current, key));
        return new SettingsReload<T>(config, settings, changed);
    }

    /// <summary>The settings whose values differ between <paramref name="before"/> and <paramref name="after"/>.</summary>
    public static IReadOnlyList<ConfigKey> Changed(Config before, Config after) =>
        [.. before.Schema.Keys.Where(k => before[k].Text != after[k].Text)];

    private static string Shown(Config config, ConfigKey key) => config[key].Text is { Length: > 0 } text ? text : "\"\"";
}
