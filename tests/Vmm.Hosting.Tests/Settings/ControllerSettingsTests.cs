using NLog;
using Vmm.Controller;
using Vmm.Hosting.Cli;
using Vmm.Hosting.Configuration;
using Vmm.Hosting.Tests.Support;

namespace Vmm.Hosting.Tests.Settings;

public sealed class ControllerSettingsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Startup<ControllerSettings> Start(IReadOnlyDictionary<string, string?>? env, params string[] args) =>
        Startup.Load(ControllerSettings.Daemon with { DefaultConfigFile = _dir["controller.toml"] }, ControllerSettings.Schema, args,
            env ?? new Dictionary<string, string?>(), ControllerSettings.Bind);

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var start = Start(null);
        Assert.True(start.ShouldRun, start.Error);
        var s = start.Settings;

        Assert.Equal(new HostPort("0.0.0.0", 7400), s.Listen);
        Assert.Equal("/run/vmm/controller.sock", s.AdminSocket);
        Assert.Equal("", s.AdminGroup);
        Assert.Equal("/etc/vmm/cluster.key", s.KeyFile);
        Assert.Equal(TimeSpan.FromSeconds(1), s.HeartbeatInterval);
        Assert.Equal(3, s.DownAfter);
        Assert.Empty(s.Hosts);
        Assert.Equal(TimeSpan.FromSeconds(30), s.RequestTimeout);
        Assert.Equal(TimeSpan.FromMinutes(10), s.LongRequestTimeout);
        Assert.Equal(5, s.BusyRetries);
        Assert.Equal(32, s.MaxInFlightPerHost);
        Assert.Equal(4096, s.MaxRecentRequests);
        Assert.Equal(512, s.MaxWatchQueueKib);
        Assert.Equal((16384, 8192), (s.MaxHosts, s.MaxVmsPerHost));
        Assert.Equal(TimeSpan.FromHours(24), s.ForgetAfter);
        Assert.Equal((256, 32), (s.MaxAdminConnections, s.MaxAdminConnectionsPerUid));
        Assert.Equal(TimeSpan.FromSeconds(10), s.AdminIdleTimeout);
        Assert.Equal(2, s.DrainParallel);
        Assert.Equal(1, s.CpuOvercommit);
        Assert.Equal(LogLevel.Info, s.LogLevel);
    }

    [Fact]
    public void Every_setting_binds_from_a_toml_file()
    {
        _dir.Write("controller.toml", """
            listen = "[::]:7500"
            admin-socket = "/tmp/c.sock"
            admin-group = "vmm"
            key-file = "/etc/k"
            heartbeat-interval = "2s"
            down-after = 5
            hosts = ["h1=10.0.0.1", "h2=[2001:db8::2]:9"]
            request-timeout = "1m"
            long-request-timeout = "1h"
            busy-retries = 0
            max-in-flight-per-host = 8
            max-recent-requests = 100
            max-watch-queue-kib = 64
            max-hosts = 100
            max-vms-per-host = 50
            forget-after = "2h"
            max-admin-connections = 64
            max-admin-connections-per-uid = 4
            admin-idle-timeout = "3s"
            cpu-overcommit = 4
            drain-parallel = 6
            log-level = "trace"
            """);
        var start = Start(null);
        Assert.True(start.ShouldRun, start.Error);
        var s = start.Settings;

        Assert.Equal(new HostPort("::", 7500), s.Listen);
        Assert.Equal("/tmp/c.sock", s.AdminSocket);
        Assert.Equal("vmm", s.AdminGroup);
        Assert.Equal("/etc/k", s.KeyFile);
        Assert.Equal(TimeSpan.FromSeconds(2), s.HeartbeatInterval);
        Assert.Equal(5, s.DownAfter);
        Assert.Equal([new NamedEndpoint("h1", new HostPort("10.0.0.1", 7401)), new NamedEndpoint("h2", new HostPort("2001:db8::2", 9))], s.Hosts);
        Assert.Equal(TimeSpan.FromMinutes(1), s.RequestTimeout);
        Assert.Equal(TimeSpan.FromHours(1), s.LongRequestTimeout);
        Assert.Equal(0, s.BusyRetries);
        Assert.Equal(8, s.MaxInFlightPerHost);
        Assert.Equal(100, s.MaxRecentRequests);
        Assert.Equal(64, s.MaxWatchQueueKib);
        Assert.Equal((100, 50), (s.MaxHosts, s.MaxVmsPerHost));
        Assert.Equal(TimeSpan.FromHours(2), s.ForgetAfter);
        Assert.Equal((64, 4), (s.MaxAdminConnections, s.MaxAdminConnectionsPerUid));
        Assert.Equal(TimeSpan.FromSeconds(3), s.AdminIdleTimeout);
        Assert.Equal(6, s.DrainParallel);
        Assert.Equal(4, s.CpuOvercommit);
        Assert.Equal(LogLevel.Trace, s.LogLevel);
    }

    [Fact]
    public void Hosts_from_ini_and_environment()
    {
        _dir.Write("controller.toml.d/pins.ini", "hosts = h1=10.0.0.1:1, h2=h2.example\n");
        var s = Start(TestSchema.Env(("VMM_DOWN_AFTER", "10"))).Settings!;
        Assert.Equal([new NamedEndpoint("h1", new HostPort("10.0.0.1", 1)), new NamedEndpoint("h2", new HostPort("h2.example", 7401))], s.Hosts);
        Assert.Equal(10, s.DownAfter);
    }

    [Fact]
    public void Long_timeout_shorter_than_the_short_one_is_reported_where_it_was_set()
    {
        var file = _dir.Write("controller.toml", "\nlong-request-timeout = \"10s\"\n");
        Assert.Equal($"vmm-controller: {file}:2: long-request-timeout: long-request-timeout (10s) is shorter than request-timeout (30s)\n",
            Start(null).Error);
        File.Delete(file);
        Assert.Equal("vmm-controller: --request-timeout: long-request-timeout (10m) is shorter than request-timeout (20m)\n",
            Start(null, "--request-timeout", "20m").Error);
    }

    [Fact]
    public void Forget_after_no_longer_than_a_host_takes_to_be_down_is_refused() =>
        Assert.Equal("vmm-controller: --forget-after: forget-after (1m) must be longer than a host takes to be down (heartbeat-interval x down-after = 1m40s)\n",
            Start(null, "--forget-after", "1m", "--heartbeat-interval", "20s", "--down-after", "5").Error);

    // A host's watchdog may reset it 500 ms after its lease's deadline (spec §15.3): the wait must cover that and the clocks.
    [Fact]
    public void An_ha_margin_that_does_not_cover_the_watchdog_and_the_clocks_is_refused()
    {
        Assert.Equal("vmm-controller: --ha-margin: 500ms is out of range 600ms..10m\n", Start(null, "--ha-margin", "500ms").Error);
        Assert.Equal("vmm-controller: --ha-margin: ha-margin (600ms) must be at least 660ms with fence-after 1m: a host's watchdog may reset it 500 ms "
            + "after its lease lapsed, and two clocks part by 1 ms a second\n", Start(null, "--ha-margin", "600ms", "--fence-after", "1m").Error);
        Assert.True(Start(null, "--ha-margin", "605ms").ShouldRun);
        // The default margin does not fit a long fence-after: the message names fence-after, the one the operator set.
        Assert.StartsWith("vmm-controller: --fence-after: ha-margin (1s) must be at least 1s200ms", Start(null, "--fence-after", "10m").Error);
    }

    [Theory]
    [InlineData("--down-after", "1", "--down-after: 1 is out of range 2..100")]
    [InlineData("--hosts", "h1=a,h1=b", "--hosts: \"h1\" is listed twice")]
    [InlineData("--admin-group", "bad group", "--admin-group: name 'bad group' may hold only letters, digits, '.', '_' and '-', and must begin with a letter or digit")]
    public void Bad_values_are_refused(string flag, string value, string message)
    {
        var start = Start(null, flag, value);
        Assert.Equal((2, $"vmm-controller: {message}\n"), (start.ExitCode, start.Error));
    }

    [Fact]
    public void Check_config_lists_every_setting()
    {
        var start = Start(null, "--check-config", "--busy-retries", "7");
        Assert.Equal(0, start.ExitCode);
        foreach (var key in ControllerSettings.Schema.Keys)
            Assert.Contains($"\n{key.Name} ", start.Output);
        Assert.Matches(@"\nbusy-retries +\= 7 +# --busy-retries\n", start.Output);
    }

    [Fact]
    public void Help_lists_every_setting()
    {
        var start = ControllerSettings.Load(["-h"], new Dictionary<string, string?>());
        foreach (var key in ControllerSettings.Schema.Keys)
            Assert.Contains($"env: {key.EnvironmentName}\n", start.Output);
    }
}
