// A hostd daemon on loopback with a fake hypervisor, its controller socket, and a clean stop.
using System.Net;
using System.Net.Sockets;
using NLog;
using Vmm.Hostd;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

internal sealed class DaemonFixture : IAsyncDisposable
{
    public static readonly ClusterKey Key = new(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    public DaemonFixture(int maxConnections = 16, int maxInFlight = 64, TimeSpan? heartbeat = null, TimeSpan? callTimeout = null, IHypervisor? hypervisor = null,
        TimeSpan stopTimeout = default, int maxPerSource = 16, TimeSpan? handshakeTimeout = null, int maxQueuedAckBytes = 256 * 1024,
        Logger? log = null, int perInterval = HostdOptions.DefaultMinDatagramsPerInterval, TimeProvider? time = null, string? statePath = null,
        string? watchdogDevice = null)
    {
        Controller = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 20000 };
        Controller.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var options = new HostdOptions("host-a", new IPEndPoint(IPAddress.Loopback, 0), [(IPEndPoint)Controller.LocalEndPoint!],
            heartbeat ?? TimeSpan.FromMilliseconds(200), callTimeout ?? TimeSpan.FromSeconds(20), maxConnections, maxInFlight, stopTimeout,
            maxPerSource, handshakeTimeout, maxQueuedAckBytes, perInterval, time, statePath,
            WatchdogDevice: watchdogDevice, WatchdogTimeout: TimeSpan.FromSeconds(3));
        Daemon = new HostdDaemon(hypervisor ?? Hypervisor, Key, options, log ?? LogManager.GetLogger("hostd-test"));
        _run = Daemon.RunAsync(_stop.Token);
    }

    /// <summary>The in-memory hypervisor, unless the fixture was given another.</summary>
    public FakeHypervisor Hypervisor { get; } = new();
    public HostdDaemon Daemon { get; }
    public Socket Controller { get; }
    public ulong Boot => Daemon.BootId;

    public HostdClient Connect(IPAddress? from = null, int receiveBuffer = 0) => new(Daemon.RequestEndPoint, Key, from: from, receiveBuffer: receiveBuffer);

    /// <summary>The next STATE datagram the controller socket receives.</summary>
    public StatePdu ReceiveState()
    {
        var buffer = new byte[2048];
        int n = Controller.Receive(buffer);
        Assert.True(n <= PduHeader.MaxDatagram, $"datagram of {n} bytes");
        return (StatePdu)PduCodec.Decode(buffer.AsSpan(0, n), Key, PduHeader.MaxDatagram);
    }

    /// <summary>STATE datagrams until one satisfies <paramref name="done"/> (or 20 s pass).</summary>
    public StatePdu ReceiveStateUntil(Func<StatePdu, bool> done)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until)
        {
            var s = ReceiveState();
            if (done(s)) return s;
        }
        throw new TimeoutException("no matching STATE datagram");
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        Daemon.Dispose();
        Controller.Dispose();
    }
}
