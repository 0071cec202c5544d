// The controller's UDP socket for STATE (spec §2, §3.5): one receive loop on its own thread, one buffer
// and one SocketAddress reused for every datagram, each handed to StateIngest. It never answers on UDP.
// The loop blocks in ReceiveFrom rather than awaiting ReceiveFromAsync: heartbeats arrive spread out, so
// the queue is usually empty when the loop asks, and each async receive then paid an epoll wake-up and a
// thread-pool hop: at 10,000 hosts of 100 VMs the async loop spent about twice the CPU a datagram and fell
// behind, while a blocked thread, woken by the kernel directly, keeps up (tests/Vmm.Benchmarks --ingest).
// The loop is what systemd's watchdog trusts (Loop): a receive wakes at least once a second, so a quiet
// network still shows the loop going round, and a thread stuck in the inventory stops the pings.
using System.Net;
using System.Net.Sockets;
using NLog;
using Vmm.Controller.Inventory;
using Vmm.Hosting.Systemd;
using Vmm.Protocol;

namespace Vmm.Controller.Ingest;

internal sealed class UdpIngest : IDisposable
{
    /// <summary>The controller's default STATE port (spec §2).</summary>
    public const int DefaultPort = 7400;

    /// <summary>The longest a receive waits before the loop goes round anyway.</summary>
    private static readonly TimeSpan IdleWake = TimeSpan.FromSeconds(1);

    private readonly Socket _socket;
    private readonly Logger _log;

    /// <summary>
    /// Binds <paramref name="bind"/> at once (IPv4 or IPv6; the IPv6 any address takes IPv4 too), so that
    /// a port in use is reported at start. Throws <see cref="SocketException"/> when the bind fails.
    /// </summary>
    /// <param name="bind">Address and port to receive on, e.g. [::]:7400.</param>
    /// <param name="keys">The master keys; each datagram must be signed with the key of the host it names.</param>
    /// <param name="inventory">Where good datagrams are applied.</param>
    /// <param name="log">Where drops and socket errors are logged; "vmm.ingest" by default.</param>
    /// <param name="receiveBufferBytes">SO_RCVBUF asked for (the kernel caps it at net.core.rmem_max).</param>
    public UdpIngest(IPEndPoint bind, HostKeys keys, FleetInventory inventory, Logger? log = null, int receiveBufferBytes = 8 << 20)
    {
        _log = log ?? LogManager.GetLogger("vmm.ingest");
        Processor = new StateIngest(inventory, keys, _log);
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (bind.AddressFamily == AddressFamily.InterNetworkV6 && bind.Address.Equals(IPAddress.IPv6Any)) _socket.DualMode = true;
            _socket.ReceiveBufferSize = receiveBufferBytes;
            _socket.ReceiveTimeout = (int)IdleWake.TotalMilliseconds;
            _socket.Bind(bind);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public StateIngest Processor { get; }

    /// <summary>Ticks each time the receive loop goes round (each datagram, and each idle second).</summary>
    public Liveness Loop { get; } = new("ingest loop", TimeSpan.FromSeconds(10));

    /// <summary>
    /// Receives and applies datagrams on a dedicated thread until <paramref name="stop"/> is cancelled; the task
    /// completes when the thread has stopped. Call it once: cancelling shuts the socket down.
    /// </summary>
    public Task RunAsync(CancellationToken stop)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Receive(stop);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }) { IsBackground = true, Name = "vmm-ingest" };
        thread.Start();
        return done.Task;
    }

    private void Receive(CancellationToken stop)
    {
        // Room for any UDP payload, so that an oversized datagram is seen whole and counted as too-large.
        var buffer = GC.AllocateUninitializedArray<byte>(65536, pinned: true);
        var from = new SocketAddress(_socket.AddressFamily);
        // Shutting the socket down wakes a receive blocked in the kernel (it returns 0 bytes from then on).
        using var wake = stop.Register(static s => ShutDown((Socket)s!), _socket);
        _log.Info("receiving STATE datagrams on {0}", LocalEndPoint);
        while (!stop.IsCancellationRequested)
        {
            Loop.Tick();
            int n;
            try
            {
                n = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                continue; // nothing for IdleWake: go round, so that the watchdog sees the loop alive
            }
            catch (SocketException e) when (IsTransient(e.SocketErrorCode))
            {
                continue; // an ICMP error for an earlier send on this socket, or an interrupted call
            }
            catch (Exception e) when ((e is SocketException or ObjectDisposedException) && stop.IsCancellationRequested)
            {
                break;
            }
            if (stop.IsCancellationRequested) break;
            Processor.Process(buffer.AsSpan(0, n), PeerAddress.From(from));
        }
    }

    private static void ShutDown(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Not connected (UDP): Linux wakes the blocked receive all the same.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose() => _socket.Dispose();

    private static bool IsTransient(SocketError error) =>
        error is SocketError.ConnectionReset or SocketError.MessageSize or SocketError.Interrupted or SocketError.NoBufferSpaceAvailable;
}
