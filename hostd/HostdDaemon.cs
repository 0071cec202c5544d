// vmm-hostd put together: one hypervisor connection, the request listener and the state publisher,
// sharing one boot id (spec §6.6) and one pool of threads for blocking hypervisor calls.
using System.Net;
using NLog;
using Vmm.Hostd.Internal;
using Vmm.Hostd.Interop;
using Vmm.Protocol;

namespace Vmm.Hostd;

/// <summary>What a hostd run is configured with, whatever the source.</summary>
internal sealed record HostdOptions(
    string HostName,
    IPEndPoint Listen,
    IReadOnlyList<IPEndPoint> Controllers,
    TimeSpan HeartbeatInterval,
    TimeSpan CallTimeout,
    int MaxConnections = 256,
    int MaxRequestsPerConnection = 64,
    TimeSpan StopTimeout = default,
    int MaxConnectionsPerSource = 16,
    TimeSpan? HandshakeTimeout = null,
    int MaxQueuedAckBytes = 256 * 1024,
    int MinDatagramsPerInterval = HostdOptions.DefaultMinDatagramsPerInterval,
    TimeProvider? Time = null,
    string? StatePath = null,
    string? LeaseFile = null,
    bool FenceByPausing = false,
    string? WatchdogDevice = null,
    TimeSpan WatchdogTimeout = default,
    TimeSpan? UsageInterval = null)
{
    /// <summary>min-datagrams-per-interval's default (spec §6.5): under 30% loss, with a controller's down-after of 3, a
    /// host is counted down falsely only after 11 datagrams in a row are lost (0.3^11, about once in days of 1 s
    /// intervals), where one datagram an interval takes 2 (0.3^2: several times a minute).</summary>
    public const int DefaultMinDatagramsPerInterval = 4;

    /// <summary>The request listener's bounds.</summary>
    public ConnectionLimits Limits => new()
    {
        MaxConnections = MaxConnections,
        MaxConnectionsPerSource = MaxConnectionsPerSource,
        MaxRequestsPerConnection = MaxRequestsPerConnection,
        HandshakeTimeout = HandshakeTimeout ?? TimeSpan.FromSeconds(10),
        MaxQueuedAckBytes = MaxQueuedAckBytes,
    };
}

/// <summary>A running hostd. Owns the hypervisor it is given.</summary>
internal sealed class HostdDaemon : IDisposable
{
    private readonly IHypervisor _hypervisor;
    private readonly BlockingWorkers _workers = new("vmm-hypervisor");
    private readonly Logger _log;
    private readonly TimeSpan _stopTimeout;

    /// <summary>A hostd holding one host key.</summary>
    public HostdDaemon(IHypervisor hypervisor, ClusterKey key, HostdOptions options, Logger log)
        : this(hypervisor, new KeyRing(key), options, log)
    {
    }

    /// <summary>
    /// Binds the listener at once (so <see cref="RequestEndPoint"/> is known before <see cref="RunAsync"/>).
    /// <paramref name="keys"/> are this host's: the first signs state and ACKs, both check requests (spec §3.3);
    /// replacing them (a reload) takes effect at once.
    /// </summary>
    public HostdDaemon(IHypervisor hypervisor, KeyRing keys, HostdOptions options, Logger log)
    {
        Keys = keys;
        // Every call goes through the timing decorator, so the metrics see each one whoever makes it.
        var measured = new MeasuredHypervisor(hypervisor);
        Hypervisor = measured;
        hypervisor = _hypervisor = measured;
        _log = log;
        _stopTimeout = options.StopTimeout;
        BootId = NewBootId();
        Lease = new Lease(options.LeaseFile);
        hypervisor.GateHaStarts(() => Lease.NotRunning);
        Drain = new DrainMark(options.StatePath, log);
        Publisher = new StatePublisher(hypervisor, BootId, options.HostName, options.Controllers, keys,
            options.HeartbeatInterval, options.MinDatagramsPerInterval, options.CallTimeout, _workers, log, options.Time, Drain);
        Usage = new UsagePublisher(hypervisor, Publisher.Sender, options.UsageInterval ?? TimeSpan.Zero, options.CallTimeout, _workers, log, options.Time);
        Fencer = new Fencer(Lease, hypervisor, _workers, options.FenceByPausing, options.CallTimeout, Publisher.SetFenced, log, options.Time);
        Processor = new RequestProcessor(hypervisor, BootId, options.CallTimeout, _workers, Publisher.RequestDone, log, receipts: Publisher.Refresher,
            drain: Drain, statusChanged: Publisher.StatusChanged, lease: Lease)
        {
            FencedChanged = Publisher.SetFenced,
        };
        Server = new RequestServer(options.Listen, keys, Processor, options.Limits, log);
        // The port controllers should connect to is the one bound (a listen port 0 picks one).
        Publisher.Port = (ushort)Server.LocalEndPoint.Port;
        // Last: opening the device arms it, and a start that fails after that (a port in use) would leave it armed.
        Watchdog = Internal.Watchdog.Open(options.WatchdogDevice ?? "", options.WatchdogTimeout, Lease, log, options.Time);
    }

    public ulong BootId { get; }

    /// <summary>This host's draining mark, kept in state-path (none: in memory only).</summary>
    public DrainMark Drain { get; }

    /// <summary>The threads blocking hypervisor calls run on.</summary>
    public BlockingWorkers Workers => _workers;

    /// <summary>The hypervisor, its calls timed.</summary>
    public MeasuredHypervisor Hypervisor { get; }

    /// <summary>This host's keys.</summary>
    public KeyRing Keys { get; }

    public StatePublisher Publisher { get; }

    public RequestProcessor Processor { get; }

    /// <summary>The usage loop (spec §16).</summary>
    public UsagePublisher Usage { get; }

    public RequestServer Server { get; }

    /// <summary>This host's lease (spec §15), and what fences its HA VMs when it lapses.</summary>
    public Lease Lease { get; }

    public Fencer Fencer { get; }

    /// <summary>The watchdog hostd pets while its lease allows (watchdog-device), or null.</summary>
    public Watchdog? Watchdog { get; }

    /// <summary>What the processor and the listener counted, as the STATUS line and the last log line show it.</summary>
    public string Counts => TransportCounters.Summary(Processor.Counters, Server.Counters);

    public IPEndPoint RequestEndPoint => Server.LocalEndPoint;

    /// <summary>
    /// Runs until <paramref name="stop"/>; then stops in order: requests in flight finish or are answered
    /// (<see cref="HostdOptions.StopTimeout"/>), the VMs they changed are reported, the last datagram says
    /// stopping, and the hypervisor is let go.
    /// </summary>
    public async Task RunAsync(CancellationToken stop)
    {
        _log.Info("boot {0:x16}: taking requests on {1}", BootId, Server.LocalEndPoint);
        using var hypervisorStop = new CancellationTokenSource();
        using var publisherStop = new CancellationTokenSource();
        var hypervisor = _hypervisor.RunAsync(hypervisorStop.Token);
        var publisher = Publisher.RunAsync(publisherStop.Token);
        var fencer = Fencer.RunAsync(publisherStop.Token);
        var watchdog = Watchdog?.RunAsync(publisherStop.Token) ?? Task.CompletedTask;
        var usage = Usage.RunAsync(publisherStop.Token);
        _log.Info(Lease.Restored
            ? $"lease of controller {Lease.Holder ?? "none"} kept from before this boot; lapses in {Lease.RemainingMs / 1000.0:0.0} s"
            : "no lease kept from before this boot: HA VMs running here are fenced until a controller renews the lease");
        // Heartbeats go on while requests drain: the controllers see their effects, and that the host is up.
        await Server.RunAsync(stop, _stopTimeout).ConfigureAwait(false);
        await publisherStop.CancelAsync().ConfigureAwait(false);
        await publisher.ConfigureAwait(false);
        await fencer.ConfigureAwait(false);
        await watchdog.ConfigureAwait(false);
        await usage.ConfigureAwait(false);
        await hypervisorStop.CancelAsync().ConfigureAwait(false);
        await hypervisor.ConfigureAwait(false);
    }

    /// <summary>One line for systemd's status: libvirt, the VMs, where state goes; or what stopping waits for.</summary>
    public string Status()
    {
        int controllers = Publisher.Controllers.Count;
        string to = controllers switch { 0 => "to no controller", 1 => "to 1 controller", _ => $"to {controllers} controllers" };
        if (Server.Stopping) return $"stopping: {Server.RequestsInFlight} request(s) in flight";
        if (!_hypervisor.Reachable)
            return _hypervisor.UnreachableReason is { } why ? $"hypervisor unreachable: {why}; state {to}" : $"connecting to the hypervisor; state {to}";
        int vms = Publisher.VmCount;
        string lease = Lease.Fenced ? ", FENCED (lease lapsed)" : Lease.Holder is { } holder ? $", lease held by {holder}" : "";
        return $"libvirt connected, {vms} VM{(vms == 1 ? "" : "s")}, state {to}, {Server.Connections} controller connection(s){lease}, {Counts}";
    }

    private static ulong NewBootId()
    {
        Span<byte> b = stackalloc byte[8];
        ulong id;
        do { Libc.GetRandom(b); id = BitConverter.ToUInt64(b); } while (id == 0);
        return id;
    }

    public void Dispose()
    {
        Server.Dispose();
        Publisher.Dispose();
        _workers.Dispose();
        _hypervisor.Dispose();
        Watchdog?.Dispose();
    }
}
