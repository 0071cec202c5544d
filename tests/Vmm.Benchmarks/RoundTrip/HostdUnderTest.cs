// hostd as it runs on a host, in this process: HostdDaemon over LibvirtHypervisor on the test driver's node,
// taking requests on a loopback port and publishing STATE to one controller address (a socket here that
// drains what arrives). Its logger has no target, so the figures leave out the cost of writing logs.
using System.Net;
using System.Net.Sockets;
using NLog;
using Vmm.Hostd;
using Vmm.Hostd.Libvirt;
using Vmm.Protocol;

namespace Vmm.Benchmarks.RoundTrip;

internal sealed class HostdUnderTest : IDisposable
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(20);

    private readonly CancellationTokenSource _stop = new();
    private readonly Socket _controller;
    private readonly Task _drain;
    private readonly Task _run;

    public HostdUnderTest(TestNode node, string folder)
    {
        Uri = $"test://{node.Path}";
        _controller = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _controller.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _drain = DrainAsync();

        var log = LogManager.GetLogger("vmm-hostd");
        var hypervisor = new LibvirtHypervisor(new LibvirtOptions(Uri, "vmm-bench", Path.Combine(folder, "pool"), null), log);
        // The loads connect at the start and some first send after the figures before theirs (tens of seconds on
        // a busy machine): past hostd's default handshake-timeout, which would close them unused.
        var options = new HostdOptions("bench-host", new IPEndPoint(IPAddress.Loopback, 0),
            [(IPEndPoint)_controller.LocalEndPoint!], Heartbeat, CallTimeout, HandshakeTimeout: TimeSpan.FromMinutes(10));
        Daemon = new HostdDaemon(hypervisor, Key, options, log);
        // LibvirtHypervisor connects before RunAsync returns its task.
        _run = Daemon.RunAsync(_stop.Token);
        if (!hypervisor.Reachable)
        {
            string why = hypervisor.UnreachableReason ?? "not connected";
            Dispose();
            throw new SetupException($"hostd could not open {Uri}: {why}");
        }
    }

    /// <summary>The cluster key requests are signed with.</summary>
    public static ClusterKey Key { get; } = ClusterKey.Generate();

    public HostdDaemon Daemon { get; }

    /// <summary>The libvirt URI hostd drives.</summary>
    public string Uri { get; }

    private async Task DrainAsync()
    {
        var buffer = new byte[PduHeader.MaxDatagram];
        try
        {
            while (true) await _controller.ReceiveAsync(buffer).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed at the end of the run.
        }
    }

    /// <summary>Stops hostd (it closes its connections and the libvirt connection) and waits for it.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _run.Wait(TimeSpan.FromSeconds(20));
        Daemon.Dispose();
        _controller.Dispose();
        _drain.Wait(TimeSpan.FromSeconds(20));
        _stop.Dispose();
    }
}
