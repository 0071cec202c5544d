using System.Net;
using System.Net.Sockets;
using Vmm.Hosting;

namespace Vmm.Hosting.Tests;

/// <summary>A REQUEST connection's socket: Nagle off, and on Linux linear retransmission timeouts (a thin stream's
/// tail under loss).</summary>
public sealed class ThinStreamTests
{
    [Fact]
    public void Tune_turns_nagle_off_and_linear_timeouts_on_both_ends()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Assert.False(ThinStream.LinearTimeouts(client));
        ThinStream.Tune(client);
        client.Connect(listener.LocalEndPoint!);
        using var accepted = listener.Accept();
        ThinStream.Tune(accepted);

        foreach (var socket in (Socket[])[client, accepted])
        {
            Assert.True(socket.NoDelay);
            Assert.Equal(OperatingSystem.IsLinux(), ThinStream.LinearTimeouts(socket));
        }
    }
}
