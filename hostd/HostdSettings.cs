// vmm-hostd's settings: the schema (names, kinds, defaults, help), the typed record the daemon runs with,
// and the one call Main makes to get from its arguments to either.
using NLog;
using Vmm.Hosting.Cli;
using Vmm.Hosting.Configuration;
using Vmm.Hosting.Logging;
using Vmm.Protocol;
using static Vmm.Hosting.Configuration.ConfigKinds;

namespace Vmm.Hostd;

/// <summary>Everything vmm-hostd is configured with, checked and typed.</summary>
internal sealed record HostdSettings : ILogSettings
{
    /// <summary>The libvirt connection to manage.</summary>
    public required string LibvirtUri { get; init; }

    /// <summary>This host's name in the protocol (a valid protocol name, spec §3.3).</summary>
    public required string HostName { get; init; }

    /// <summary>Where requests from controllers are accepted (TCP).</summary>
    public required HostPort Listen { get; init; }

    /// <summary>Controllers that receive state datagrams and heartbeats (UDP); empty: none yet.</summary>
    public required IReadOnlyList<HostPort> Controllers { get; init; }

    /// <summary>This host's key file (spec §3.3): the key it signs with.</summary>
    public required string KeyFile { get; init; }

    /// <summary>A second host key accepted while keys rotate; empty: none.</summary>
    public required string SecondKeyFile { get; init; }

    /// <summary>How often a heartbeat is sent when nothing changes.</summary>
    public required TimeSpan HeartbeatInterval { get; init; }

    /// <summary>Time between usage samples (spec §16); zero: no usage is sent.</summary>
    public TimeSpan UsageInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The least state datagrams sent each heartbeat interval: liveness datagrams make up a short report.</summary>
    public required int MinDatagramsPerInterval { get; init; }

    /// <summary>The libvirt storage pool VM disks are created in.</summary>
    public required string StoragePool { get; init; }

    /// <summary>The directory behind <see cref="StoragePool"/> (created as a dir pool when missing).</summary>
    public required string StoragePath { get; init; }

    /// <summary>Directories base images may come from, besides <see cref="StoragePath"/>.</summary>
    public required IReadOnlyList<string> ImagePaths { get; init; }

    /// <summary>The directory hostd keeps what must outlive its restarts in (the draining mark).</summary>
    public required string StatePath { get; init; }

    /// <summary>The URI other hosts migrate to this one through; empty: derived from the host name.</summary>
    public required string MigrationUri { get; init; }

    /// <summary>Most concurrent request connections.</summary>
    public required int MaxConnections { get; init; }

    /// <summary>Most concurrent request connections from one source (an IPv4 address or an IPv6 /64).</summary>
    public required int MaxConnectionsPerSource { get; init; }

    /// <summary>How long a new connection has to deliver its first authentic PDU.</summary>
    public required TimeSpan HandshakeTimeout { get; init; }

    /// <summary>How long after start hostd gives back the file pages only start-up used; zero: never.</summary>
    public required TimeSpan StartUpTrim { get; init; }

    /// <summary>Most requests in flight on one connection; more are answered busy.</summary>
    public required int MaxRequestsPerConnection { get; init; }

    /// <summary>Most ACK bytes one connection may have waiting before its requests are no longer read.</summary>
    public required int MaxQueuedAckBytes { get; init; }

    /// <summary>The deadline of one hypervisor call.</summary>
    public required TimeSpan CallTimeout { get; init; }

    /// <summary>How long requests in flight at SIGTERM may take to finish before they are answered "stopping".</summary>
    public required TimeSpan StopTimeout { get; init; }

    /// <summary>Where Prometheus metrics are served over HTTP at /metrics; <see cref="HostPort.None"/>: off.</summary>
    public required HostPort MetricsListen { get; init; }
    /// <summary>Where the lease (spec §15) is kept across restarts of hostd; empty: nowhere (a restart fences the HA VMs).</summary>
    public required string LeaseFile { get; init; }

    /// <summary>Fence HA VMs by pausing them rather than destroying them.</summary>
    public required bool FencePause { get; init; }

    /// <summary>The watchdog device hostd arms and pets while its lease allows (spec §15.3); empty: none.</summary>
    public required string WatchdogDevice { get; init; }

    /// <summary>The watchdog's timeout, whole seconds: a machine whose hostd stops petting resets this long after its last pet.</summary>
    public required TimeSpan WatchdogTimeout { get; init; }

    /// <summary>The least severe level logged.</summary>
    public required LogLevel LogLevel { get; init; }

    /// <summary>A file log lines are appended to as well as stderr; empty: none.</summary>
    public required string LogFile { get; init; }

    /// <summary>The settings, as files, flags and variables name them.</summary>
    internal static class Keys
    {
        public static readonly ConfigKey<string> LibvirtUri = new("libvirt-uri", Uri(),
            "qemu:///system", "libvirt connection to manage (test:///default needs no daemon)");
        public static readonly ConfigKey<string> HostName = new("host-name", Name(),
            Environment.MachineName, "this host's name in the protocol", "this machine's host name");
        public static readonly ConfigKey<HostPort> Listen = new("listen", ListenEndpoint(7401),
            "0.0.0.0:7401", "address and TCP port to accept requests from controllers on");
        public static readonly ConfigKey<IReadOnlyList<HostPort>> Controllers = new("controllers", EndpointList(7400),
            "", "controllers to send state and heartbeats to (UDP), separated by commas (SIGHUP applies a new list)");
        public static readonly ConfigKey<string> KeyFile = new("key-file", Path(),
            "/etc/vmm/host.key", "this host's key (`vmmctl key derive`): signs state and acks, checks requests (SIGHUP applies what the file holds then)");
        public static readonly ConfigKey<string> SecondKeyFile = new("second-key-file", Path(allowEmpty: true),
            "", "a second host key accepted while keys rotate, never signed with (SIGHUP applies what the file holds then)");
        public static readonly ConfigKey<TimeSpan> HeartbeatInterval = new("heartbeat-interval",
            Duration(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60)), "1s", "time between heartbeats");
        public static readonly ConfigKey<int> MinDatagramsPerInterval = new("min-datagrams-per-interval", Int(1, Internal.HeartbeatSlots.Max),
            HostdOptions.DefaultMinDatagramsPerInterval.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "least state datagrams sent each heartbeat interval: a report of fewer pages is eked out with small liveness datagrams spread over the interval, so that lost datagrams do not make the host look down (1: the report alone)");
        public static readonly ConfigKey<TimeSpan> UsageInterval = new("usage-interval",
            Duration(TimeSpan.Zero, TimeSpan.FromHours(1)), "10s",
            "time between usage samples (CPU time, memory, disk and network counters of every running VM, read in one libvirt call and sent to the controllers; 0s: none)");
        public static readonly ConfigKey<string> StoragePool = new("storage-pool", Name(),
            "vmm", "libvirt storage pool for VM disks");
        public static readonly ConfigKey<string> StoragePath = new("storage-path", Path(),
            "/var/lib/vmm/images", "directory of the storage pool");
        public static readonly ConfigKey<IReadOnlyList<string>> ImagePaths = new("image-paths", PathList(),
            "", "directories a disk's base image may come from besides storage-path, separated by commas (symbolic links leaving them, /proc, /sys, /dev and non-regular files are refused)");
        public static readonly ConfigKey<string> StatePath = new("state-path", Path(),
            "/var/lib/vmm-hostd", "directory where hostd keeps what outlives a restart: the draining mark (vmmctl host drain), as the file draining");
        public static readonly ConfigKey<string> MigrationUri = new("migration-uri", Uri(allowEmpty: true),
            "", "URI other hosts migrate VMs to this one through (default: derived from host-name)");
        public static readonly ConfigKey<int> MaxConnections = new("max-connections", Int(1, 65536),
            "256", "most request connections at once; when full, a new one takes the place of one that sent no authentic PDU");
        public static readonly ConfigKey<int> MaxConnectionsPerSource = new("max-connections-per-source", Int(1, 65536),
            "16", "most request connections at once from one IPv4 address or IPv6 /64 (the same rule when full)");
        public static readonly ConfigKey<TimeSpan> HandshakeTimeout = new("handshake-timeout",
            Duration(TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10)), "10s",
            "time a new request connection has to deliver its first authentic PDU before it is closed");
        public static readonly ConfigKey<int> MaxRequestsPerConnection = new("max-requests-per-connection", Int(1, 4096),
            "64", "most requests in flight on one connection (more are answered busy)");
        public static readonly ConfigKey<int> MaxQueuedAckBytes = new("max-queued-ack-bytes", Int(PduHeader.MaxStreamPdu, 64 << 20),
            "262144", "most ACK bytes queued for one connection; past it, its requests are not read until the peer reads");
        public static readonly ConfigKey<TimeSpan> CallTimeout = new("call-timeout",
            Duration(TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)), "2m", "deadline of one hypervisor call");
        public static readonly ConfigKey<TimeSpan> StopTimeout = new("stop-timeout",
            Duration(TimeSpan.Zero, TimeSpan.FromHours(1)), "30s",
            "on SIGTERM, time requests in flight get to finish before they are answered \"stopping\"");
        public static readonly ConfigKey<TimeSpan> StartUpTrim = new("start-up-trim",
            Duration(TimeSpan.Zero, TimeSpan.FromHours(1)), "20s",
            "time after start at which hostd gives back the pages of its binary and libraries that only start-up used (about 10 MB of RSS; 0s: never)");
        public static readonly ConfigKey<HostPort> MetricsListen = new("metrics-listen", OptionalListenEndpoint(9465),
            "", "address and TCP port to serve Prometheus metrics on, at http://ADDRESS:PORT/metrics (e.g. 127.0.0.1:9465)");
        public static readonly ConfigKey<string> LeaseFile = new("lease-file", Path(allowEmpty: true),
            "/run/vmm-hostd/lease", "where the lease a controller renews is kept, so that a restart of hostd keeps it (on a file system the machine's reboot empties; empty: kept in memory only, and a restart fences the HA VMs)");
        public static readonly ConfigKey<bool> FencePause = new("fence-pause", Bool(),
            "false", "when the lease lapses, pause the HA VMs running here instead of destroying them (an operator may resume one that was not restarted elsewhere)");
        public static readonly ConfigKey<string> WatchdogDevice = new("watchdog-device", Path(allowEmpty: true),
            "", "a watchdog device (e.g. /dev/watchdog) hostd arms and pets only while its lease has watchdog-timeout less 0.5 s left or its HA VMs are fenced, so that a frozen or wedged hostd has the machine reset before a controller restarts its HA VMs elsewhere (empty: none)");
        public static readonly ConfigKey<TimeSpan> WatchdogTimeout = new("watchdog-timeout",
            Duration(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)), "3s",
            "the watchdog device's timeout, in whole seconds (set with WDIOC_SETTIMEOUT); the controllers' fence-after must exceed it plus two lease intervals less 0.5 s");
        public static readonly ConfigKey<LogLevel> LogLevel = new("log-level", ConfigKinds.LogLevel(),
            "info", "least severe level logged (SIGHUP applies a new one)");
        public static readonly ConfigKey<string> LogFile = Log.FileKey;
    }

    /// <summary>What a reload (SIGHUP) applies to the running daemon; any other change needs a restart.</summary>
    public static readonly IReadOnlyCollection<ConfigKey> Reloadable = [Keys.LogLevel, Keys.LogFile, Keys.Controllers, Keys.KeyFile, Keys.SecondKeyFile];

    /// <summary>Every setting of vmm-hostd, in the order --help lists them.</summary>
    public static readonly ConfigSchema Schema = new([
        Keys.LibvirtUri, Keys.HostName, Keys.Listen, Keys.Controllers, Keys.KeyFile, Keys.SecondKeyFile, Keys.HeartbeatInterval, Keys.MinDatagramsPerInterval,
        Keys.UsageInterval, Keys.StoragePool, Keys.StoragePath, Keys.ImagePaths, Keys.StatePath, Keys.MigrationUri, Keys.MaxConnections, Keys.MaxConnectionsPerSource,
        Keys.HandshakeTimeout, Keys.MaxRequestsPerConnection, Keys.MaxQueuedAckBytes, Keys.CallTimeout, Keys.StopTimeout, Keys.LeaseFile, Keys.FencePause, Keys.WatchdogDevice, Keys.WatchdogTimeout, Keys.StartUpTrim, Keys.MetricsListen, Keys.LogLevel, Keys.LogFile,
    ]);

    /// <summary>vmm-hostd's name, summary, default configuration file and version.</summary>
    public static readonly DaemonInfo Daemon = new("vmm-hostd",
        "the Vmm host agent: runs VMs through libvirt and reports their state",
        "/etc/vmm/hostd.toml", DaemonInfo.VersionOf(typeof(HostdSettings).Assembly));

    /// <summary>The typed settings of a loaded configuration.</summary>
    public static HostdSettings Bind(Config config)
    {
        var settings = new HostdSettings
        {
            LibvirtUri = config.Get(Keys.LibvirtUri),
            HostName = config.Get(Keys.HostName),
            Listen = config.Get(Keys.Listen),
            Controllers = config.Get(Keys.Controllers),
            KeyFile = config.Get(Keys.KeyFile),
            SecondKeyFile = config.Get(Keys.SecondKeyFile),
            HeartbeatInterval = config.Get(Keys.HeartbeatInterval),
            MinDatagramsPerInterval = config.Get(Keys.MinDatagramsPerInterval),
            UsageInterval = config.Get(Keys.UsageInterval),
            StoragePool = config.Get(Keys.StoragePool),
            StoragePath = config.Get(Keys.StoragePath),
            ImagePaths = config.Get(Keys.ImagePaths),
            StatePath = config.Get(Keys.StatePath),
            MigrationUri = config.Get(Keys.MigrationUri),
            MaxConnections = config.Get(Keys.MaxConnections),
            MaxConnectionsPerSource = config.Get(Keys.MaxConnectionsPerSource),
            HandshakeTimeout = config.Get(Keys.HandshakeTimeout),
            MaxRequestsPerConnection = config.Get(Keys.MaxRequestsPerConnection),
            MaxQueuedAckBytes = config.Get(Keys.MaxQueuedAckBytes),
            CallTimeout = config.Get(Keys.CallTimeout),
            StopTimeout = config.Get(Keys.StopTimeout),
            StartUpTrim = config.Get(Keys.StartUpTrim),
            MetricsListen = config.Get(Keys.MetricsListen),
            LeaseFile = config.Get(Keys.LeaseFile),
            FencePause = config.Get(Keys.FencePause),
            WatchdogDevice = config.Get(Keys.WatchdogDevice),
            WatchdogTimeout = config.Get(Keys.WatchdogTimeout),
            LogLevel = config.Get(Keys.LogLevel),
            LogFile = config.Get(Keys.LogFile),
        };
        if (settings.WatchdogTimeout.Ticks % TimeSpan.TicksPerSecond != 0)
            throw config.Error(Keys.WatchdogTimeout, $"watchdog-timeout ({Durations.Format(settings.WatchdogTimeout)}) must be whole seconds: a watchdog device counts in seconds");
        return settings;
    }

    /// <summary>
    /// From Main's arguments and the environment to settings to run with, or help, version or
    /// --check-config text (or one error line) to print and an exit code.
    /// </summary>
    public static Startup<HostdSettings> Load(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment) =>
        Startup.Load(Daemon, Schema, args, environment, Bind, Check);

    /// <summary>
    /// What hostd checks of this machine before it starts (and --check-config): its keys (this host's, spec §3.3), the
    /// TCP ports (requests, metrics), the log file.
    /// </summary>
    public static void Check(HostdSettings settings, StartChecks checks)
    {
        checks.Keys(Keys.KeyFile, Keys.SecondKeyFile, () => HostKeys(settings));
        checks.Listen(Keys.Listen, System.Net.Sockets.ProtocolType.Tcp);
        checks.Listen(Keys.MetricsListen, System.Net.Sockets.ProtocolType.Tcp);
        checks.LogFile(Keys.LogFile);
    }

    /// <summary>
    /// This host's keys from <see cref="KeyFile"/> and <see cref="SecondKeyFile"/>; one ConfigException line for a wrong
    /// file. Their tags come from our own HMAC-SHA-256, so that hostd never initializes OpenSSL (1.1 MB resident).
    /// </summary>
    public static Hosting.Configuration.KeyFile.Loaded HostKeys(HostdSettings settings) => new(
        Hosting.Configuration.KeyFile.LoadHost(settings.KeyFile, settings.HostName).With(HmacImplementation.Managed),
        settings.SecondKeyFile.Length == 0 ? null
            : Hosting.Configuration.KeyFile.LoadHost(settings.SecondKeyFile, settings.HostName, "second-key-file").With(HmacImplementation.Managed),
        $"the host key of {settings.HostName}");
}
