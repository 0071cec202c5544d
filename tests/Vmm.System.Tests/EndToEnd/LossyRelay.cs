// A UDP relay on loopback that loses datagrams in a fixed pattern: of every `period` datagrams it forwards the
// first and drops the rest. Deterministic loss, where iptables' random loss would make a test a matter of luck.
using System.Net;
using System.Net.Sockets;

namespace Vmm.System.Tests.EndToEnd;

internal sealed class LossyRelay : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _to;
    private readonly int _period;
    private readonly Thread _thread;
    private long _forwarded, _dropped;

    /// <summary>Relays to <paramref name="to"/>, forwarding 1 datagram of every <paramref name="period"/>.</summary>
    public LossyRelay(IPEndPoint to, int period)
    {
        _to = to;
        _period = period;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _thread = new Thread(Run) { IsBackground = true, Name = "lossy-relay" };
        _thread.Start();
    }

    /// <summary>Where senders send to.</summary>
    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    public long Forwarded => Interlocked.Read(ref _forwarded);

    public long Dropped => Interlocked.Read(ref _dropped);

    private void Run()
    {
        var buffer = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            for (long n = 0; ; n++)
            {
                int length = _socket.ReceiveFrom(buffer, ref from);
                if (n % _period != 0)
                {
                    Interlocked.Increment(ref _dropped);
                    continue;
                }
                _socket.SendTo(buffer.AsSpan(0, length), SocketFlags.None, _to);
                Interlocked.Increment(ref _forwarded);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Disposed: the test is over.
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
