using System.Net.Sockets;
using System.Text;

namespace Vmm.Hosting.Tests.Support;

/// <summary>A stand-in for systemd's notify socket: a bound Unix datagram socket and the messages it got.</summary>
internal sealed class NotifyReceiver : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { ReceiveTimeout = 20000 };

    /// <param name="address">A path, or "@name" for an abstract address.</param>
    public NotifyReceiver(string address)
    {
        Address = address;
        _socket.Bind(new UnixDomainSocketEndPoint(address[0] == '@' ? "\0" + address[1..] : address));
    }

    public string Address { get; }

    /// <summary>The next message (20 s at most).</summary>
    public string Receive()
    {
        var buffer = new byte[4096];
        int n = _socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    /// <summary>True when a message is waiting.</summary>
    public bool HasMessage => _socket.Available > 0;

    public void Dispose() => _socket.Dispose();
}
