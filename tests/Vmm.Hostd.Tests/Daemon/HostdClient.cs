// A controller's side of one hostd connection, for tests: signed REQUESTs out, ACKs (or an ERROR) in.
using System.Net;
using System.Net.Sockets;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

internal sealed class HostdClient : IDisposable
{
    private readonly Socket _socket;
    private readonly ClusterKey _key;
    private readonly ClusterKey _verify;
    private byte[] _buffer = new byte[1 << 17];
    private int _filled;

    /// <param name="endpoint">hostd's request port.</param>
    /// <param name="key">The key requests are signed with.</param>
    /// <param name="verify">The key hostd's answers are checked with; default <paramref name="key"/>.</param>
    /// <param name="from">The local address to connect from (any of 127/8 on loopback); default: the system's pick.</param>
    /// <param name="receiveBuffer">The socket's receive buffer in bytes; 0: the system's, which grows as it likes.</param>
    public HostdClient(IPEndPoint endpoint, ClusterKey key, ClusterKey? verify = null, IPAddress? from = null, int receiveBuffer = 0)
    {
        _verify = verify ?? key;
        _key = key;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 20000 };
        if (receiveBuffer > 0) _socket.ReceiveBufferSize = receiveBuffer;
        if (from is not null) _socket.Bind(new IPEndPoint(from, 0));
        _socket.Connect(endpoint);
    }

    public void Send(Pdu pdu, ClusterKey? key = null) => SendRaw(PduCodec.ToBytes(pdu, key ?? _key));

    public void SendRaw(ReadOnlySpan<byte> bytes) => _socket.Send(bytes);

    public AckPdu Call(RequestPdu request)
    {
        Send(request);
        return (AckPdu)Receive();
    }

    /// <summary>The next PDU, verified with the key; null when the host closed the connection.</summary>
    public Pdu? ReceiveOrClose()
    {
        while (true)
        {
            if (PduFraming.TryReadFrame(_buffer.AsSpan(0, _filled), out _, out int consumed))
            {
                var pdu = PduCodec.Decode(_buffer.AsSpan(0, consumed), _verify);
                _buffer.AsSpan(consumed, _filled - consumed).CopyTo(_buffer);
                _filled -= consumed;
                return pdu;
            }
            int n;
            try { n = _socket.Receive(_buffer.AsSpan(_filled)); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { return null; }
            if (n == 0) return null;
            _filled += n;
        }
    }

    public Pdu Receive() => ReceiveOrClose() ?? throw new InvalidOperationException("hostd closed the connection");

    public void Dispose() => _socket.Dispose();
}
