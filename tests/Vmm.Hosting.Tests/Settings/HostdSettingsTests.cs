using NLog;
using Vmm.Hostd;
using Vmm.Hosting.Cli;
using Vmm.Hosting.Configuration;
using Vmm.Hosting.Tests.Support;

namespace Vmm.Hosting.Tests.Settings;

public sealed class HostdSettingsTests
{
    private static readonly Dictionary<string, string?> NoEnv = [];

    private static HostdSettings Run(IReadOnlyDictionary<string, string?> env, params string[] args)
    {
        // A default file that cannot exist, so that the machine's /etc/vmm does not leak into the test.
        var run = Startup.Load(HostdSettings.Daemon with { DefaultConfigFile = "/nonexistent/hostd.toml" }, HostdSettings.Schema, args, env, HostdSettings.Bind);
        Assert.True(run.ShouldRun, run.Error);
        return run.Settings;
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var s = Run(NoEnv);

        Assert.Equal("qemu:///system", s.LibvirtUri);
        Assert.Equal(Environment.MachineName, s.HostName);
        Assert.Equal(new HostPort("0.0.0.0", 7401), s.Listen);
        Assert.Empty(s.Controllers);
        Assert.Equal("/etc/vmm/host.key", s.KeyFile);
        Assert.Equal("", s.SecondKeyFile);
        Assert.Equal(TimeSpan.FromSeconds(1), s.HeartbeatInterval);
        Assert.Equal("vmm", s.StoragePool);
        Assert.Equal("/var/lib/vmm/images", s.StoragePath);
        Assert.Equal("/var/lib/vmm-hostd", s.StatePath);
        Assert.Equal("", s.MigrationUri);
        Assert.Equal(256, s.MaxConnections);
        Assert.Equal(64, s.MaxRequestsPerConnection);
        Assert.Equal(16, s.MaxConnectionsPerSource);
        Assert.Empty(s.ImagePaths);
        Assert.Equal("", s.WatchdogDevice);
        Assert.Equal(TimeSpan.FromSeconds(3), s.WatchdogTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), s.HandshakeTimeout);
        Assert.Equal(262144, s.MaxQueuedAckBytes);
        Assert.Equal(TimeSpan.FromSeconds(120), s.CallTimeout);
        Assert.Equal(LogLevel.Info, s.LogLevel);
    }

    [Fact]
    public void Every_setting_binds_from_flags_and_environment()
    {
        var s = Run(TestSchema.Env(("VMM_CONTROLLERS", "10.0.0.1,[2001:db8::2]:9"), ("VMM_LOG_LEVEL", "debug")),
            "--libvirt-uri", "test:///default", "--host-name", "node-7", "--listen", "[::]:0", "--key-file", "/k",
            "--heartbeat-interval", "250ms", "--storage-pool", "p1", "--storage-path", "/srv/images",
            "--migration-uri", "tcp://10.0.0.7:49152", "--max-connections", "10", "--max-requests-per-connection", "2",
            "--call-timeout", "30s", "--max-connections-per-source", "3", "--handshake-timeout", "2s", "--max-queued-ack-bytes", "100000",
            "--image-paths", "/srv/golden,/mnt/iso", "--state-path", "/srv/hostd-state");

        Assert.Equal("test:///default", s.LibvirtUri);
        Assert.Equal("node-7", s.HostName);
        Assert.Equal(new HostPort("::", 0), s.Listen);
        Assert.Equal([new HostPort("10.0.0.1", 7400), new HostPort("2001:db8::2", 9)], s.Controllers);
        Assert.Equal("/srv/hostd-state", s.StatePath);
        Assert.Equal("/k", s.KeyFile);
        Assert.Equal(TimeSpan.FromMilliseconds(250), s.HeartbeatInterval);
        Assert.Equal("p1", s.StoragePool);
        Assert.Equal("/srv/images", s.StoragePath);
        Assert.Equal("tcp://10.0.0.7:49152", s.MigrationUri);
        Assert.Equal(10, s.MaxConnections);
        Assert.Equal(2, s.MaxRequestsPerConnection);
        Assert.Equal(3, s.MaxConnectionsPerSource);
        Assert.Equal(TimeSpan.FromSeconds(2), s.HandshakeTimeout);
        Assert.Equal(100000, s.MaxQueuedAckBytes);
        Assert.Equal(["/srv/golden", "/mnt/iso"], s.ImagePaths);
        Assert.Equal(TimeSpan.FromSeconds(30), s.CallTimeout);
        Assert.Equal(LogLevel.Debug, s.LogLevel);
    }

    [Theory]
    [InlineData("--heartbeat-interval", "50ms", "--heartbeat-interval: 50ms is out of range 100ms..1m")]
    [InlineData("--watchdog-timeout", "2500ms", "--watchdog-timeout: watchdog-timeout (2s500ms) must be whole seconds: a watchdog device counts in seconds")]
    [InlineData("--watchdog-timeout", "2m", "--watchdog-timeout: 2m is out of range 1s..1m")]
    [InlineData("--host-name", "my host", "--host-name: name 'my host' may hold only letters, digits, '.', '_' and '-', and must begin with a letter or digit")]
    [InlineData("--listen", "host.example:1", "--listen: \"host.example:1\": listen on an IP address (0.0.0.0 or [::] for every address), not a host name")]
    [InlineData("--libvirt-uri", "/var/run/libvirt/libvirt-sock", "--libvirt-uri: \"/var/run/libvirt/libvirt-sock\" is not a URI (e.g. qemu:///system)")]
    public void Bad_values_are_refused(string flag, string value, string message)
    {
        var start = Startup.Load(HostdSettings.Daemon with { DefaultConfigFile = "/nonexistent/hostd.toml" }, HostdSettings.Schema, [flag, value], NoEnv, HostdSettings.Bind);
        Assert.False(start.ShouldRun);
        Assert.Equal(2, start.ExitCode);
        Assert.Equal($"vmm-hostd: {message}\n", start.Error);
    }

    [Fact]
    public void Missing_explicit_config_file_is_exit_2()
    {
        var start = HostdSettings.Load(["--config", "/nonexistent/x.toml"], NoEnv);
        Assert.Equal((2, "vmm-hostd: /nonexistent/x.toml: no such file\n"), (start.ExitCode, start.Error));
    }

    [Fact]
    public void Help_lists_every_setting_with_its_variable()
    {
        var start = HostdSettings.Load(["--help"], NoEnv);
        Assert.Equal(0, start.ExitCode);
        Assert.StartsWith("vmm-hostd ", start.Output);
        Assert.Contains("/etc/vmm/hostd.toml", start.Output);
        foreach (var key in HostdSettings.Schema.Keys)
            Assert.Contains($"  {key.Flag} {key.Kind.Placeholder}\n", start.Output);
        Assert.Contains("env: VMM_MAX_REQUESTS_PER_CONNECTION", start.Output);
        Assert.Contains("(this machine's host name)", start.Output);
    }
}
