// The floor the controller is compared with: a UDP socket of the same kind as UdpIngest's (IPv4, bound on
// loopback, the same receive buffer asked for) and a thread that receives into one buffer and counts,
// nothing else. It uses the cheapest receive .NET has (blocking ReceiveFrom with a reused SocketAddress).
using System.Net;
using System.Net.Sockets;

namespace Vmm.Benchmarks.Ingest;

internal sealed class BareReceiver : IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;
    private long _received;

    public BareReceiver(int receiveBufferBytes)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = receiveBufferBytes };
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _thread = new Thread(Loop) { IsBackground = true, Name = "bare-receive" };
        _thread.Start();
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Datagrams received so far.</summary>
    public long Received => Volatile.Read(ref _received);

    private void Loop()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(65536, pinned: true);
        var from = new SocketAddress(AddressFamily.InterNetwork);
        try
        {
            while (true)
            {
                _socket.ReceiveFrom(buffer, SocketFlags.None, from);
                Volatile.Write(ref _received, _received + 1);
            }
        }
        catch (SocketException) { }          // closed by Dispose
        catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
