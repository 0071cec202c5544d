// metrics-listen (issue 17), on both daemons: off by default, an IP address and a port when set.
using Vmm.Controller;
using Vmm.Hostd;
using Vmm.Hosting.Cli;
using Vmm.Hosting.Configuration;

namespace Vmm.Hosting.Tests.Settings;

public sealed class MetricsSettingsTests
{
    private static readonly Dictionary<string, string?> NoEnv = [];

    private static Startup<ControllerSettings> Controller(params string[] args) =>
        Startup.Load(ControllerSettings.Daemon with { DefaultConfigFile = "/nonexistent/x.toml" }, ControllerSettings.Schema, args, NoEnv, ControllerSettings.Bind);

    private static Startup<HostdSettings> Hostd(params string[] args) =>
        Startup.Load(HostdSettings.Daemon with { DefaultConfigFile = "/nonexistent/x.toml" }, HostdSettings.Schema, args, NoEnv, HostdSettings.Bind);

    [Fact]
    public void Metrics_are_off_by_default_on_both_daemons()
    {
        Assert.False(Controller().Settings!.MetricsListen.IsSet);
        Assert.False(Hostd().Settings!.MetricsListen.IsSet);
        Assert.Equal(HostPort.None, Hostd("--metrics-listen", "").Settings!.MetricsListen);
    }

    [Fact]
    public void An_address_alone_takes_each_daemons_default_port()
    {
        Assert.Equal(new HostPort("127.0.0.1", 9464), Controller("--metrics-listen", "127.0.0.1").Settings!.MetricsListen);
        Assert.Equal(new HostPort("127.0.0.1", 9465), Hostd("--metrics-listen", "127.0.0.1").Settings!.MetricsListen);
        Assert.Equal(new HostPort("::1", 9100), Hostd("--metrics-listen", "[::1]:9100").Settings!.MetricsListen);
        Assert.Equal(0, Controller("--metrics-listen", "127.0.0.1:0").Settings!.MetricsListen.Port);
    }

    [Fact]
    public void A_host_name_or_a_bad_port_is_one_line_naming_the_setting()
    {
        var name = Controller("--metrics-listen", "metrics.example:9464");
        Assert.Equal(ExitCodes.Usage, name.ExitCode);
        Assert.StartsWith("vmm-controller: --metrics-listen: ", name.Error);
        Assert.Contains("IP address", name.Error);
        Assert.Single(name.Error.TrimEnd('\n').Split('\n'));
        var port = Hostd("--metrics-listen", "127.0.0.1:70000");
        Assert.Equal(ExitCodes.Usage, port.ExitCode);
        Assert.Contains("port", port.Error);
    }

    [Fact]
    public void Help_and_check_config_show_the_setting()
    {
        var help = Hostd("--help").Output;
        Assert.Contains("  --metrics-listen ADDRESS:PORT\n", help);
        Assert.Contains("env: VMM_METRICS_LISTEN", help);
        Assert.Contains("empty: off", help);
        Assert.Matches("(?m)^metrics-listen += \"\" +# default$", Controller("--check-config").Output);
        Assert.Matches("(?m)^metrics-listen += \"127.0.0.1:9464\"", Controller("--check-config", "--metrics-listen", "127.0.0.1").Output);
    }
}
