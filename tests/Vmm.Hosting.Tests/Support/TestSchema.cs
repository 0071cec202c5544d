using NLog;
using Vmm.Hosting.Cli;
using Vmm.Hosting.Configuration;
using static Vmm.Hosting.Configuration.ConfigKinds;

namespace Vmm.Hosting.Tests.Support;

/// <summary>A schema with one setting of each kind, one of them under a section, and helpers to load it.</summary>
internal static class TestSchema
{
    public static readonly ConfigKey<string> LibvirtUri = new("libvirt-uri", Uri(), "qemu:///system", "libvirt connection");
    public static readonly ConfigKey<HostPort> Listen = new("listen", ListenEndpoint(7401), "0.0.0.0:7401", "where to listen");
    public static readonly ConfigKey<IReadOnlyList<HostPort>> Controllers = new("controllers", EndpointList(7400), "", "controllers");
    public static readonly ConfigKey<TimeSpan> HeartbeatInterval =
        new("heartbeat-interval", Duration(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60)), "1s", "heartbeat period");
    public static readonly ConfigKey<int> MaxConnections = new("tcp.max-connections", Int(1, 1000), "256", "connection limit");
    public static readonly ConfigKey<bool> Verbose = new("verbose", Bool(), "false", "say more");
    public static readonly ConfigKey<string> HostName = new("host-name", Name(), "node1", "host name", "a note");
    public static readonly ConfigKey<LogLevel> Level = new("log-level", ConfigKinds.LogLevel(), "info", "log level");

    public static readonly ConfigSchema Schema = new([LibvirtUri, Listen, Controllers, HeartbeatInterval, MaxConnections, Verbose, HostName, Level]);

    public static readonly DaemonInfo Daemon = new("vmm-test", "a test daemon", "/nonexistent/vmm/test.toml", "9.9.9");

    /// <summary>Loads with <paramref name="mainFile"/> as the default file, the environment given, and flags parsed from <paramref name="args"/>.</summary>
    public static Config Load(string mainFile, IReadOnlyDictionary<string, string?>? env = null, params string[] args)
    {
        var line = CommandLine.Parse(args, Schema);
        return Config.Load(Schema, new ConfigSources
        {
            DefaultFile = mainFile,
            File = line.ConfigFile,
            Environment = env ?? new Dictionary<string, string?>(),
            Flags = line.Flags,
        });
    }

    /// <summary>The message of the <see cref="ConfigException"/> that loading throws.</summary>
    public static string Error(string mainFile, IReadOnlyDictionary<string, string?>? env = null, params string[] args) =>
        Assert.Throws<ConfigException>(() => Load(mainFile, env, args)).Message;

    public static Dictionary<string, string?> Env(params (string Name, string Value)[] vars) =>
        vars.ToDictionary(v => v.Name, v => (string?)v.Value);
}
