// vmm-controller's settings: the schema (names, kinds, defaults, help), the typed record the daemon runs with,
// and the one call Main makes to get from its arguments to either.
using NLog;
using Vmm.Controller.Admin;
using Vmm.Hosting.Cli;
using Vmm.Hosting.Configuration;
using Vmm.Hosting.Logging;
using static Vmm.Hosting.Configuration.ConfigKinds;

namespace Vmm.Controller;

/// <summary>Everything vmm-controller is configured with, checked and typed.</summary>
internal sealed record ControllerSettings : ILogSettings
{
    /// <summary>Where state datagrams and heartbeats from hosts arrive (UDP).</summary>
    public required HostPort Listen { get; init; }

    /// <summary>The Unix socket vmmctl talks to.</summary>
    public required string AdminSocket { get; init; }

    /// <summary>The group given access to <see cref="AdminSocket"/>; empty: the socket's owner only.</summary>
    public required string AdminGroup { get; init; }

    /// <summary>The cluster master key file (spec §3.3): host keys are derived from it.</summary>
    public required string KeyFile { get; init; }

    /// <summary>A second master key accepted while keys rotate; empty: none.</summary>
    public required string SecondKeyFile { get; init; }

    /// <summary>The interval hosts send heartbeats at.</summary>
    public required TimeSpan HeartbeatInterval { get; init; }

    /// <summary>Heartbeats missed in a row before a host's VMs are shown as unknown.</summary>
    public required int DownAfter { get; init; }

    /// <summary>Static pins, name to request endpoint, for hosts whose heartbeats cannot name a reachable address.</summary>
    public required IReadOnlyList<NamedEndpoint> Hosts { get; init; }

    /// <summary>How long a host has to acknowledge a short request.</summary>
    public required TimeSpan RequestTimeout { get; init; }

    /// <summary>How long a host has to acknowledge a long request (migrate, stop, snapshot).</summary>
    public required TimeSpan LongRequestTimeout { get; init; }

    /// <summary>How many times a request answered busy is retried before busy is reported.</summary>
    public required int BusyRetries { get; init; }

    /// <summary>Most requests in flight to one host.</summary>
    public required int MaxInFlightPerHost { get; init; }

    /// <summary>How long a request waits for its ACK before it is also sent on a fresh connection; zero: never.</summary>
    public required TimeSpan HedgeAfter { get; init; }
    /// <summary>Requests kept with their signed bytes and result, to be sent again by id (vmmctl --request-id).</summary>
    public required int MaxRecentRequests { get; init; }

    /// <summary>KiB of changes a watch client may fall behind before it is dropped (RESULT unavailable).</summary>
    public required int MaxWatchQueueKib { get; init; }

    /// <summary>Events the history holds in memory (vmmctl events); the oldest is evicted for a new one.</summary>
    public required int MaxEvents { get; init; }

    /// <summary>Most hosts the inventory holds; datagrams naming more are dropped (host-limit).</summary>
    public required int MaxHosts { get; init; }

    /// <summary>Most VMs held per host; records of further VMs are ignored (vm-limit).</summary>
    public required int MaxVmsPerHost { get; init; }

    /// <summary>How long a host may be silent before the inventory forgets it (pinned hosts never are).</summary>
    public required TimeSpan ForgetAfter { get; init; }

    /// <summary>Most admin connections at once; the last few are kept for root.</summary>
    public required int MaxAdminConnections { get; init; }

    /// <summary>Most admin connections of one uid at once.</summary>
    public required int MaxAdminConnectionsPerUid { get; init; }

    /// <summary>How long an admin connection may wait with nothing to answer before it is closed.</summary>
    public required TimeSpan AdminIdleTimeout { get; init; }

    /// <summary>vCPUs placement lets a host run per logical CPU (1: no overcommit).</summary>
    public required int CpuOvercommit { get; init; }

    /// <summary>VMs a drain moves at once unless vmmctl host drain --parallel says otherwise.</summary>
    public required int DrainParallel { get; init; }
    /// <summary>Where Prometheus metrics are served over HTTP at /metrics; <see cref="HostPort.None"/>: off.</summary>
    public required HostPort MetricsListen { get; init; }

    /// <summary>Most VMs whose usage series the metrics hold; above it they are left out (0: never written).</summary>
    public int MetricsVmUsageMax { get; init; } = DefaultMetricsVmUsageMax;

    /// <summary>metrics-vm-usage-max's default: 10,000 VMs make about 60,000 lines, a scrape of a few MB.</summary>
    public const int DefaultMetricsVmUsageMax = 10_000;

    /// <summary>The least severe level logged.</summary>
    public required LogLevel LogLevel { get; init; }

    /// <summary>This controller's name as a lease holder (spec §15): kept across its restarts, unique among controllers.</summary>
    public required string ControllerId { get; init; }

    /// <summary>How often each host's lease is renewed.</summary>
    public required TimeSpan LeaseInterval { get; init; }

    /// <summary>How long a host's lease lasts without a renewal before it fences its HA VMs.</summary>
    public required TimeSpan FenceAfter { get; init; }

    /// <summary>What the controller waits beyond fence-after before it restarts a down host's HA VMs elsewhere.</summary>
    public required TimeSpan HaMargin { get; init; }

    /// <summary>The largest share of hosts (percent) that may be down at once for HA restarts to go on.</summary>
    public required int HaMaxDownPercent { get; init; }

    /// <summary>Hosts an HA VM is tried on before the controller gives up and reports it.</summary>
    public required int HaMaxAttempts { get; init; }

    /// <summary>A file log lines are appended to as well as stderr; empty: none.</summary>
    public required string LogFile { get; init; }

    /// <summary>The settings, as files, flags and variables name them.</summary>
    /// <summary>
    /// The least ha-margin (spec §15.4): a host's watchdog may reset it up to 500 ms after its lease's deadline (spec
    /// §15.3), its fencer looks at the deadline every 50 ms, and 50 ms to spare.
    /// </summary>
    public static TimeSpan MinHaMargin => TimeSpan.FromMilliseconds(600);

    /// <summary>The least ha-margin with <paramref name="fenceAfter"/>: <see cref="MinHaMargin"/>, plus what two monotonic
    /// clocks slewed by NTP (500 ppm each) part by over fence-after, rounded up to the millisecond.</summary>
    public static TimeSpan HaMarginFor(TimeSpan fenceAfter) =>
        MinHaMargin + TimeSpan.FromMilliseconds(Math.Ceiling(fenceAfter.TotalMilliseconds / 1000));

    internal static class Keys
    {
        public static readonly ConfigKey<HostPort> Listen = new("listen", ListenEndpoint(7400),
            "0.0.0.0:7400", "address and UDP port to receive host state and heartbeats on");
        public static readonly ConfigKey<string> AdminSocket = new("admin-socket", Path(),
            "/run/vmm/controller.sock", "Unix socket for vmmctl");
        public static readonly ConfigKey<string> AdminGroup = new("admin-group", Name(allowEmpty: true),
            "", "group allowed to use the admin socket (default: its owner only)");
        public static readonly ConfigKey<string> KeyFile = new("key-file", Path(),
            "/etc/vmm/cluster.key", "cluster master key: each host's key is derived from it (SIGHUP applies what the file holds then)");
        public static readonly ConfigKey<string> SecondKeyFile = new("second-key-file", Path(allowEmpty: true),
            "", "a second master key accepted while keys rotate, never signed with (SIGHUP applies what the file holds then)");
        public static readonly ConfigKey<TimeSpan> HeartbeatInterval = new("heartbeat-interval",
            Duration(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60)), "1s",
            "interval hosts send heartbeats at (set it as on the hosts)");
        public static readonly ConfigKey<int> DownAfter = new("down-after", Int(2, 100),
            "3", "heartbeats missed in a row before a host's VMs become unknown");
        public static readonly ConfigKey<IReadOnlyList<NamedEndpoint>> Hosts = new("hosts", NamedEndpointList(7401),
            "", "static host pins, name=address[:port], separated by commas");
        public static readonly ConfigKey<TimeSpan> RequestTimeout = new("request-timeout",
            Duration(TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)), "30s", "time a host has to answer a request");
        public static readonly ConfigKey<TimeSpan> LongRequestTimeout = new("long-request-timeout",
            Duration(TimeSpan.FromSeconds(1), TimeSpan.FromHours(24)), "10m",
            "time a host has to answer migrate, stop and snapshot");
        public static readonly ConfigKey<int> BusyRetries = new("busy-retries", Int(0, 100),
            "5", "retries of a request answered busy before busy is reported");
        public static readonly ConfigKey<int> MaxInFlightPerHost = new("max-in-flight-per-host", Int(1, 4096),
            "32", "most requests in flight to one host");
        public static readonly ConfigKey<TimeSpan> HedgeAfter = new("hedge-after", Duration(TimeSpan.Zero, TimeSpan.FromMinutes(10)),
            "1s", "a request unanswered this long is sent again, same id, on a fresh connection (0s: never)");
        public static readonly ConfigKey<int> MaxRecentRequests = new("max-recent-requests", Int(0, 1 << 20),
            "4096", "requests kept to be sent again by id (vmmctl --request-id); 0 keeps none");
        public static readonly ConfigKey<int> MaxWatchQueueKib = new("max-watch-queue-kib", Int(16, 1 << 20),
            "512", "KiB of changes a watch may fall behind before it is ended with RESULT unavailable");
        public static readonly ConfigKey<int> MaxEvents = new("max-events", Int(0, 1_000_000),
            "10000", "events the history holds in memory for vmmctl events (80 bytes each, notes aside); the oldest go first; 0 keeps none");
        public static readonly ConfigKey<int> MaxHosts = new("max-hosts", Int(1, 1_000_000),
            "16384", "most hosts held; datagrams naming more are dropped (host-limit)");
        public static readonly ConfigKey<int> MaxVmsPerHost = new("max-vms-per-host", Int(1, 65536),
            "8192", "most VMs held per host; records of further VMs are ignored");
        public static readonly ConfigKey<TimeSpan> ForgetAfter = new("forget-after",
            Duration(TimeSpan.FromMinutes(1), TimeSpan.FromHours(720)), "24h",
            "a host silent this long is forgotten with its VMs (pinned hosts never are)");
        public static readonly ConfigKey<int> MaxAdminConnections = new("max-admin-connections", Int(16, 65536),
            "256", "most admin socket connections; the last 8 are kept for root");
        public static readonly ConfigKey<int> MaxAdminConnectionsPerUid = new("max-admin-connections-per-uid", Int(1, 65536),
            "32", "most admin socket connections of one user");
        public static readonly ConfigKey<TimeSpan> AdminIdleTimeout = new("admin-idle-timeout",
            Duration(TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)), "10s",
            "an admin connection with nothing to answer (or half a PDU) for this long is closed");
        public static readonly ConfigKey<int> CpuOvercommit = new("cpu-overcommit", Int(1, 64),
            "1", "vCPUs placement (vm create without --host, host drain) lets a host run per logical CPU; 1 places no more vCPUs than CPUs");
        public static readonly ConfigKey<int> DrainParallel = new("drain-parallel", Int(1, Drainer.MaxParallel),
            "2", "live migrations a drain (vmmctl host drain) runs at once, unless its --parallel says otherwise");
        public static readonly ConfigKey<int> MetricsVmUsageMax = new("metrics-vm-usage-max", Int(0, 1_000_000),
            "10000", "most VMs whose usage series (vmm_vm_cpu_seconds_total and the like) the metrics hold; when more VMs report usage, the series are left out of the scrape and vmm_vm_usage_series_omitted says so (0: never)");
        public static readonly ConfigKey<HostPort> MetricsListen = new("metrics-listen", OptionalListenEndpoint(9464),
            "", "address and TCP port to serve Prometheus metrics on, at http://ADDRESS:PORT/metrics (e.g. 127.0.0.1:9464)");
        public static readonly ConfigKey<string> ControllerId = new("controller-id", Name(),
            Environment.MachineName, "this controller's name as the holder of host leases (HA): the same across its restarts, different from every other controller's", "this machine's host name");
        public static readonly ConfigKey<TimeSpan> LeaseInterval = new("lease-interval",
            Duration(TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1)), "1s", "time between renewals of each host's lease (HA)");
        public static readonly ConfigKey<TimeSpan> FenceAfter = new("fence-after",
            Duration(TimeSpan.FromMilliseconds(500), TimeSpan.FromHours(1)), "5s",
            "a host whose lease was not renewed for this long fences its HA VMs (destroys or pauses them); it must exceed lease-interval twice");
        public static readonly ConfigKey<TimeSpan> HaMargin = new("ha-margin",
            Duration(MinHaMargin, TimeSpan.FromMinutes(10)), "1s",
            "time the controller waits beyond fence-after (from the last renewal a host acknowledged) before it restarts that host's HA VMs elsewhere; at least 600 ms plus fence-after/1000 (a host's watchdog reset, its fencer's look, the clocks' rates)");
        public static readonly ConfigKey<int> HaMaxDownPercent = new("ha-max-down-percent", Int(0, 100),
            "50", "no HA restart while more than this percent of the hosts is down at once (this controller is more likely cut off than they are dead)");
        public static readonly ConfigKey<int> HaMaxAttempts = new("ha-max-attempts", Int(1, 100),
            "3", "hosts an HA VM is tried on before the controller gives up and reports it");
        public static readonly ConfigKey<LogLevel> LogLevel = new("log-level", ConfigKinds.LogLevel(),
            "info", "least severe level logged (SIGHUP applies a new one)");
        public static readonly ConfigKey<string> LogFile = Log.FileKey;
    }

    /// <summary>What a reload (SIGHUP) applies to the running daemon; any other change needs a restart.</summary>
    public static readonly IReadOnlyCollection<ConfigKey> Reloadable = [Keys.LogLevel, Keys.LogFile, Keys.KeyFile, Keys.SecondKeyFile];

    /// <summary>Every setting of vmm-controller, in the order --help lists them.</summary>
    public static readonly ConfigSchema Schema = new([
        Keys.Listen, Keys.AdminSocket, Keys.AdminGroup, Keys.KeyFile, Keys.SecondKeyFile, Keys.HeartbeatInterval, Keys.DownAfter,
        Keys.Hosts, Keys.RequestTimeout, Keys.LongRequestTimeout, Keys.BusyRetries, Keys.MaxInFlightPerHost,
        Keys.HedgeAfter, Keys.MaxRecentRequests, Keys.MaxWatchQueueKib, Keys.MaxEvents, Keys.MaxHosts, Keys.MaxVmsPerHost, Keys.ForgetAfter, Keys.MaxAdminConnections,
        Keys.MaxAdminConnectionsPerUid, Keys.AdminIdleTimeout, Keys.CpuOvercommit, Keys.DrainParallel, Keys.MetricsListen, Keys.MetricsVmUsageMax, Keys.ControllerId, Keys.LeaseInterval, Keys.FenceAfter,
        Keys.HaMargin, Keys.HaMaxDownPercent, Keys.HaMaxAttempts, Keys.LogLevel, Keys.LogFile,
    ]);

    /// <summary>vmm-controller's name, summary, default configuration file and version.</summary>
    public static readonly DaemonInfo Daemon = new("vmm-controller",
        "the Vmm controller: keeps the fleet's inventory from host heartbeats and dispatches requests to hosts",
        "/etc/vmm/controller.toml", DaemonInfo.VersionOf(typeof(ControllerSettings).Assembly));

    /// <summary>
    /// The typed settings of a loaded configuration. A long request may not time out before a short one:
    /// that would be a typo in one of the two.
    /// </summary>
    public static ControllerSettings Bind(Config config)
    {
        var settings = new ControllerSettings
        {
            Listen = config.Get(Keys.Listen),
            AdminSocket = config.Get(Keys.AdminSocket),
            AdminGroup = config.Get(Keys.AdminGroup),
            KeyFile = config.Get(Keys.KeyFile),
            SecondKeyFile = config.Get(Keys.SecondKeyFile),
            HeartbeatInterval = config.Get(Keys.HeartbeatInterval),
            DownAfter = config.Get(Keys.DownAfter),
            Hosts = config.Get(Keys.Hosts),
            RequestTimeout = config.Get(Keys.RequestTimeout),
            LongRequestTimeout = config.Get(Keys.LongRequestTimeout),
            BusyRetries = config.Get(Keys.BusyRetries),
            MaxInFlightPerHost = config.Get(Keys.MaxInFlightPerHost),
            HedgeAfter = config.Get(Keys.HedgeAfter),
            MaxRecentRequests = config.Get(Keys.MaxRecentRequests),
            MaxWatchQueueKib = config.Get(Keys.MaxWatchQueueKib),
            MaxEvents = config.Get(Keys.MaxEvents),
            MaxHosts = config.Get(Keys.MaxHosts),
            MaxVmsPerHost = config.Get(Keys.MaxVmsPerHost),
            ForgetAfter = config.Get(Keys.ForgetAfter),
            MaxAdminConnections = config.Get(Keys.MaxAdminConnections),
            MaxAdminConnectionsPerUid = config.Get(Keys.MaxAdminConnectionsPerUid),
            AdminIdleTimeout = config.Get(Keys.AdminIdleTimeout),
            CpuOvercommit = config.Get(Keys.CpuOvercommit),
            DrainParallel = config.Get(Keys.DrainParallel),
            MetricsListen = config.Get(Keys.MetricsListen),
            MetricsVmUsageMax = config.Get(Keys.MetricsVmUsageMax),
            ControllerId = config.Get(Keys.ControllerId),
            LeaseInterval = config.Get(Keys.LeaseInterval),
            FenceAfter = config.Get(Keys.FenceAfter),
            HaMargin = config.Get(Keys.HaMargin),
            HaMaxDownPercent = config.Get(Keys.HaMaxDownPercent),
            HaMaxAttempts = config.Get(Keys.HaMaxAttempts),
            LogLevel = config.Get(Keys.LogLevel),
            LogFile = config.Get(Keys.LogFile),
        };
        if (settings.LongRequestTimeout < settings.RequestTimeout)
        {
            var changed = config[Keys.LongRequestTimeout].IsDefault ? Keys.RequestTimeout : Keys.LongRequestTimeout;
            throw config.Error(changed, $"long-request-timeout ({Durations.Format(settings.LongRequestTimeout)}) "
                + $"is shorter than request-timeout ({Durations.Format(settings.RequestTimeout)})");
        }
        if (settings.FenceAfter <= settings.LeaseInterval * 2)
        {
            var changed = config[Keys.FenceAfter].IsDefault ? Keys.LeaseInterval : Keys.FenceAfter;
            throw config.Error(changed, $"fence-after ({Durations.Format(settings.FenceAfter)}) must be longer than two lease intervals "
                + $"({Durations.Format(settings.LeaseInterval * 2)}): a host counts its lease from the renewal before the last");
        }
        if (settings.HaMargin < HaMarginFor(settings.FenceAfter))
        {
            var changed = config[Keys.HaMargin].IsDefault ? Keys.FenceAfter : Keys.HaMargin;
            throw config.Error(changed, $"ha-margin ({Durations.Format(settings.HaMargin)}) must be at least {Durations.Format(HaMarginFor(settings.FenceAfter))} with "
                + $"fence-after {Durations.Format(settings.FenceAfter)}: a host's watchdog may reset it 500 ms after its lease lapsed, and two clocks part by 1 ms a second");
        }
        var downAfter = settings.HeartbeatInterval * settings.DownAfter;
        if (settings.ForgetAfter <= downAfter)
        {
            var changed = config[Keys.ForgetAfter].IsDefault ? Keys.HeartbeatInterval : Keys.ForgetAfter;
            throw config.Error(changed, $"forget-after ({Durations.Format(settings.ForgetAfter)}) must be longer than a host takes to be "
                + $"down (heartbeat-interval x down-after = {Durations.Format(downAfter)})");
        }
        return settings;
    }

    /// <summary>
    /// From Main's arguments and the environment to settings to run with, or help, version or
    /// --check-config text (or one error line) to print and an exit code.
    /// </summary>
    public static Startup<ControllerSettings> Load(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment) =>
        Startup.Load(Daemon, Schema, args, environment, Bind, Check);

    /// <summary>
    /// What the controller checks of this machine before it starts (and --check-config): the master keys, the UDP port,
    /// the admin socket's group, the metrics port, the log file.
    /// </summary>
    public static void Check(ControllerSettings settings, StartChecks checks)
    {
        checks.Keys(Keys.KeyFile, Keys.SecondKeyFile, () => MasterKeys(settings));
        checks.Listen(Keys.Listen, System.Net.Sockets.ProtocolType.Udp);
        checks.Listen(Keys.MetricsListen, System.Net.Sockets.ProtocolType.Tcp);
        if (settings.AdminGroup.Length > 0 && !uint.TryParse(settings.AdminGroup, out _))
        {
            try
            {
                SocketFile.GroupId(settings.AdminGroup);
            }
            catch (AdminSocketException e)
            {
                throw checks.Error(Keys.AdminGroup, e.Message);
            }
        }
        checks.LogFile(Keys.LogFile);
    }

    /// <summary>The master keys from <see cref="KeyFile"/> and <see cref="SecondKeyFile"/>; one ConfigException line for a wrong file.</summary>
    public static Hosting.Configuration.KeyFile.Loaded MasterKeys(ControllerSettings settings) => new(
        Hosting.Configuration.KeyFile.LoadMaster(settings.KeyFile),
        settings.SecondKeyFile.Length == 0 ? null : Hosting.Configuration.KeyFile.LoadMaster(settings.SecondKeyFile, "second-key-file"),
        "the cluster master key");
}
