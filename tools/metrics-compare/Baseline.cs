// No metrics: a socket that answers every connection with a fixed HTTP answer. The other variants' size and memory
// are read against this one (NLog is used here too, as in the daemons, so that its cost is not charged to a variant).
using System.Net;
using System.Net.Sockets;

var log = NLog.LogManager.GetLogger("compare");
log.Info("baseline");
var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(new IPEndPoint(IPAddress.Loopback, Driver.Port));
listener.Listen(16);
var answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray();
_ = Task.Run(async () =>
{
    var head = new byte[8192];
    while (true)
    {
        using var c = await listener.AcceptAsync();
        await c.ReceiveAsync(head);
        await c.SendAsync(answer);
        c.Shutdown(SocketShutdown.Both);
    }
});
Driver.Measure("baseline (no metrics)");
