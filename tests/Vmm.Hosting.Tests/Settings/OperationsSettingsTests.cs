// The settings the systemd and logging work added to both daemons: log-file (shared), stop-timeout (hostd),
// and what a SIGHUP applies.
using Vmm.Controller;
using Vmm.Hostd;
using Vmm.Hosting.Cli;
using Vmm.Hosting.Configuration;
using Vmm.Hosting.Logging;

namespace Vmm.Hosting.Tests.Settings;

public sealed class OperationsSettingsTests
{
    private static readonly Dictionary<string, string?> NoEnv = [];

    private static Startup<T> Load<T>(DaemonInfo daemon, ConfigSchema schema, Func<Config, T> bind, params string[] args)
        where T : class =>
        Startup.Load(daemon with { DefaultConfigFile = "/nonexistent/x.toml" }, schema, args, NoEnv, bind);

    [Fact]
    public void Both_daemons_take_the_same_log_file_setting_empty_by_default()
    {
        Assert.Same(Log.FileKey, HostdSettings.Schema.Find("log-file"));
        Assert.Same(Log.FileKey, ControllerSettings.Schema.Find("log-file"));
        Assert.Equal("", Load(HostdSettings.Daemon, HostdSettings.Schema, HostdSettings.Bind).Settings!.LogFile);
        Assert.Equal("/var/log/vmm/c.log",
            Load(ControllerSettings.Daemon, ControllerSettings.Schema, ControllerSettings.Bind, "--log-file", "/var/log/vmm/c.log").Settings!.LogFile);
    }

    [Fact]
    public void Stop_timeout_defaults_to_30s_and_zero_means_answer_at_once()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), Load(HostdSettings.Daemon, HostdSettings.Schema, HostdSettings.Bind).Settings!.StopTimeout);
        Assert.Equal(TimeSpan.Zero, Load(HostdSettings.Daemon, HostdSettings.Schema, HostdSettings.Bind, "--stop-timeout", "0s").Settings!.StopTimeout);
        var bad = Load(HostdSettings.Daemon, HostdSettings.Schema, HostdSettings.Bind, "--stop-timeout", "2h");
        Assert.Equal((ExitCodes.Usage, "vmm-hostd: --stop-timeout: 2h is out of range 0s..1h\n"), (bad.ExitCode, bad.Error));
    }

    [Fact]
    public void Help_and_check_config_show_the_new_settings_and_the_signals()
    {
        var help = Load(HostdSettings.Daemon, HostdSettings.Schema, HostdSettings.Bind, "--help").Output;
        Assert.Contains("  --log-file PATH\n", help);
        Assert.Contains("  --stop-timeout DURATION\n", help);
        Assert.Contains("env: VMM_LOG_FILE", help);
        Assert.Contains("SIGHUP reads the configuration again", help);
        var check = Load(ControllerSettings.Daemon, ControllerSettings.Schema, ControllerSettings.Bind, "--check-config").Output;
        Assert.Matches("(?m)^log-file += \"\" +# default$", check);
    }

    [Fact]
    public void A_reload_applies_the_log_level_and_file_and_the_keys_on_both_and_the_controllers_on_hostd()
    {
        Assert.Equal(["log-level", "log-file", "controllers", "key-file", "second-key-file"], HostdSettings.Reloadable.Select(k => k.Name).ToArray());
        Assert.Equal(["log-level", "log-file", "key-file", "second-key-file"], ControllerSettings.Reloadable.Select(k => k.Name).ToArray());
        foreach (var key in HostdSettings.Reloadable.Concat(ControllerSettings.Reloadable))
            Assert.Contains("SIGHUP applies", key.Description);
    }
}
