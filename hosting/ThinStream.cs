// Requests and ACKs make a thin stream: a few small PDUs in flight at a time on each connection. Linux backs off the
// retransmission of a lost segment exponentially (200 ms, then 400, 800, 1,600 ...), so under heavy loss three or
// four losses of one segment in a row, not the peer, make the tail of a request's time. With TCP_THIN_LINEAR_TIMEOUTS
// a thin stream (fewer than four segments in flight) keeps its first six retransmissions at the base timeout
// (linux Documentation/networking/tcp-thin.rst): four losses in a row cost 0.8 s instead of 3 s. Nagle is off too,
// so that a PDU leaves at once. Both ends of a REQUEST connection set both (spec §2).
using System.Net.Sockets;

namespace Vmm.Hosting;

/// <summary>Socket options of a connection that carries REQUESTs and ACKs.</summary>
public static class ThinStream
{
    // linux/tcp.h
    private const int IpProtoTcp = 6, TcpThinLinearTimeouts = 16;

    /// <summary>Turns Nagle off and, on Linux, linear retransmission timeouts on; a socket already reset is left as it is
    /// (its first read says so), and a kernel without the option keeps exponential backoff.</summary>
    public static void Tune(Socket socket)
    {
        try
        {
            socket.NoDelay = true;
            if (OperatingSystem.IsLinux()) socket.SetRawSocketOption(IpProtoTcp, TcpThinLinearTimeouts, BitConverter.GetBytes(1));
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>Whether linear timeouts are on for <paramref name="socket"/> (false where the option does not exist).</summary>
    public static bool LinearTimeouts(Socket socket)
    {
        if (!OperatingSystem.IsLinux()) return false;
        var value = new byte[4];
        try
        {
            return socket.GetRawSocketOption(IpProtoTcp, TcpThinLinearTimeouts, value) == 4 && BitConverter.ToInt32(value) != 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
