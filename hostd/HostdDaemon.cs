// vmm-hostd put together: one hypervisor connection, the request listener and the state publisher,
// sharing one boot id (spec §6.6) and one pool of threads for blocking hypervisor calls.
using System.Net;
using System.Security.Cryptography;
using NLog;
using Vmm.Hostd.Internal;
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
    int MaxRequestsPerConnection = 64);

/// <summary>A running hostd. Owns the hypervisor it is given.</summary>
internal sealed class HostdDaemon : IDisposable
{
    private readonly IHypervisor _hypervisor;
    private readonly BlockingWorkers _workers = new("vmm-hypervisor");
    private readonly Logger _log;

    /// <summary>Binds the listener at once (so <see cref="RequestEndPoint"/> is known before <see cref="RunAsync"/>).</summary>
    public HostdDaemon(IHypervisor hypervisor, ClusterKey key, HostdOptions options, Logger log)
    {
        _hypervisor = hypervisor;
        _log = log;
        BootId = NewBootId();
        Publisher = new StatePublisher(hypervisor, BootId, options.HostName, options.Controllers, key,
            options.HeartbeatInterval, options.CallTimeout, _workers, log);
        Processor = new RequestProcessor(hypervisor, BootId, options.CallTimeout, _workers, Publisher.RequestDone, log);
        Server = new RequestServer(options.Listen, key, Processor, options.MaxConnections, options.MaxRequestsPerConnection, log);
        // The port controllers should connect to is the one bound (a listen port 0 picks one).
        Publisher.Port = (ushort)Server.LocalEndPoint.Port;
    }

    public ulong BootId { get; }

    public StatePublisher Publisher { get; }

    public RequestProcessor Processor { get; }

    public RequestServer Server { get; }

    public IPEndPoint RequestEndPoint => Server.LocalEndPoint;

    /// <summary>Runs until <paramref name="stop"/>; then says stopping to the controllers and closes.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        _log.Info("boot {0:x16}: taking requests on {1}", BootId, Server.LocalEndPoint);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var hypervisor = _hypervisor.RunAsync(linked.Token);
        var publisher = Publisher.RunAsync(stop);
        var server = Server.RunAsync(stop);
        await Task.WhenAll(publisher, server).ConfigureAwait(false);
        await linked.CancelAsync().ConfigureAwait(false);
        await hypervisor.ConfigureAwait(false);
    }

    private static ulong NewBootId()
    {
        Span<byte> b = stackalloc byte[8];
        ulong id;
        do { RandomNumberGenerator.Fill(b); id = BitConverter.ToUInt64(b); } while (id == 0);
        return id;
    }

    public void Dispose()
    {
        Server.Dispose();
        Publisher.Dispose();
        _workers.Dispose();
        _hypervisor.Dispose();
    }
}
