using System.Collections.Concurrent;
using System.Net.Sockets;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Ctl.Tests;

/// <summary>
/// A stand-in for vmm-controller's admin socket: a Unix socket in a temporary folder that records every PDU
/// vmmctl sends and answers each connection's first PDU through <see cref="Handler"/> (by default with the
/// PDUs <see cref="Answer"/> gives). After the handler it closes its side and keeps reading until vmmctl
/// closes, so that an ERROR vmmctl sends last is recorded too.
/// </summary>
internal sealed class FakeController : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmmctl-admin-").FullName;
    private readonly Socket _listener;
    private readonly Thread _accepting;
    private readonly ConcurrentQueue<Pdu> _received = new();
    private readonly ConcurrentQueue<Exception> _faults = new();

    public FakeController()
    {
        SocketPath = Path.Combine(_dir, "controller.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(16);
        _accepting = new Thread(Accept) { IsBackground = true, Name = "fake controller" };
        _accepting.Start();
    }

    public string SocketPath { get; }

    /// <summary>The PDUs to answer a request with (text form); by default a plain success.</summary>
    public Func<Pdu, IEnumerable<string>> Answer { get; set; } = _ => ["result code=success"];

    /// <summary>Serves one connection, given its first PDU; by default sends what <see cref="Answer"/> gives.</summary>
    public Action<Pdu, Connection>? Handler { get; set; }

    /// <summary>Every PDU received, in order, over all connections.</summary>
    public IReadOnlyList<Pdu> Received => [.. _received];

    /// <summary>The text form of every PDU received.</summary>
    public IReadOnlyList<string> ReceivedText => [.. _received.Select(PduText.Format)];

    /// <summary>Waits (up to 20 s) until <paramref name="count"/> PDUs have arrived.</summary>
    public IReadOnlyList<Pdu> WaitForReceived(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (_received.Count < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{_received.Count} PDUs arrived, not {count}: [{string.Join(" | ", ReceivedText)}]");
            Thread.Sleep(20);
        }
        return Received;
    }

    public static Pdu Parse(string text) => PduText.Parse(text);

    private void Accept()
    {
        while (true)
        {
            Socket client;
            try { client = _listener.Accept(); }
            catch (SocketException) { return; }
            catch (ObjectDisposedException) { return; }
            new Thread(() => Serve(new Connection(client, _received))) { IsBackground = true }.Start();
        }
    }

    private void Serve(Connection c)
    {
        using (c)
        {
            try
            {
                var first = c.Receive();
                if (first is null) return;
                if (Handler is { } handler) handler(first, c);
                else foreach (var text in Answer(first)) c.Send(Parse(text));
                c.CloseSendingAndDrain();
            }
            catch (Exception e)
            {
                // A fault of the fake (a canned PDU that does not parse) fails the test at Dispose, not the test host.
                _faults.Enqueue(e);
            }
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        Directory.Delete(_dir, recursive: true);
        if (!_faults.IsEmpty) throw new InvalidOperationException($"the fake controller failed: {_faults.First()}");
    }

    /// <summary>One accepted connection, as the fake's handler sees it.</summary>
    internal sealed class Connection(Socket socket, ConcurrentQueue<Pdu> received) : IDisposable
    {
        private readonly List<byte> _pending = [];

        public void Send(Pdu pdu) => SendRaw(PduCodec.ToBytes(pdu));

        public void SendRaw(byte[] bytes)
        {
            try { socket.Send(bytes); }
            catch (SocketException) { /* vmmctl is gone: what it saw is what the test checks */ }
        }

        /// <summary>The next PDU vmmctl sent (recorded), or null when it closed the connection.</summary>
        public Pdu? Receive()
        {
            var chunk = new byte[4096];
            socket.ReceiveTimeout = 20_000;
            while (true)
            {
                var span = _pending.ToArray();
                if (PduFraming.TryReadFrame(span, out _, out int consumed))
                {
                    var pdu = PduCodec.Decode(span.AsSpan(0, consumed));
                    _pending.RemoveRange(0, consumed);
                    received.Enqueue(pdu);
                    return pdu;
                }
                int n;
                try { n = socket.Receive(chunk); }
                catch (SocketException) { return null; }
                if (n == 0) return null;
                _pending.AddRange(chunk.AsSpan(0, n));
            }
        }

        /// <summary>Closes the sending side (vmmctl reads end of stream) and records whatever vmmctl still sends.</summary>
        public void CloseSendingAndDrain()
        {
            try { socket.Shutdown(SocketShutdown.Send); }
            catch (SocketException) { return; }
            while (Receive() is not null) { }
        }

        public void Dispose() => socket.Dispose();
    }
}
