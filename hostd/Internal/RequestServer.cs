// hostd's TCP listener (spec §2, §3.4, §9): many connections, pipelined requests, each ACK on the
// connection its request came from. A stream error (bad framing, failed authentication, a PDU that is
// not a REQUEST) ends only its own connection, with an ERROR; a PDU error is answered by an ACK.
using System.Buffers;
using System.IO.Hashing;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using NLog;
using Vmm.Hosting;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Internal;

/// <summary>Accepts controller connections and answers their requests.</summary>
internal sealed class RequestServer : IDisposable
{
    private readonly Socket _listener;
    private readonly ClusterKey _key;
    private readonly RequestProcessor _processor;
    private readonly int _maxConnections, _maxInFlight;
    private readonly Logger _log;
    private int _connections;

    /// <summary>Binds <paramref name="listen"/> at once (port 0 picks a free port: see <see cref="LocalEndPoint"/>).</summary>
    public RequestServer(IPEndPoint listen, ClusterKey key, RequestProcessor processor, int maxConnections, int maxInFlight, Logger log)
    {
        _key = key;
        _processor = processor;
        _maxConnections = maxConnections;
        _maxInFlight = maxInFlight;
        _log = log;
        _listener = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (listen.AddressFamily == AddressFamily.InterNetworkV6) _listener.DualMode = listen.Address.Equals(IPAddress.IPv6Any);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(listen);
        _listener.Listen(128);
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Connections open now.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Accepts connections until <paramref name="stop"/>; open connections are closed then.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var open = new List<Task>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                Socket socket;
                try { socket = await _listener.AcceptAsync(stop).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
                catch (SocketException e) { _log.Warn("accept failed: {0}", e.Message); continue; }
                if (Interlocked.Increment(ref _connections) > _maxConnections)
                {
                    Interlocked.Decrement(ref _connections);
                    Interlocked.Increment(ref _processor.Counters.ConnectionsRefused);
                    _log.Warn("connection from {0} refused: {1} connections open already (max-connections)", socket.RemoteEndPoint, _maxConnections);
                    socket.Dispose();
                    continue;
                }
                open.RemoveAll(t => t.IsCompleted);
                open.Add(ServeAsync(socket, stop));
            }
        }
        finally
        {
            _listener.Dispose();
            await Task.WhenAll(open).ConfigureAwait(false);
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        socket.NoDelay = true;
        string peer = socket.RemoteEndPoint?.ToString() ?? "?";
        var connection = new Connection(this, socket, peer);
        try
        {
            await connection.RunAsync(stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.Warn("connection from {0} failed: {1}", peer, e.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
            socket.Dispose();
        }
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>One controller connection: a read loop and a write loop joined by a channel of PDUs to send.</summary>
    private sealed class Connection(RequestServer server, Socket socket, string peer)
    {
        private readonly Channel<Pdu> _out = Channel.CreateUnbounded<Pdu>(new UnboundedChannelOptions { SingleReader = true });
        private int _inFlight;      // requests counted against max-requests-per-connection
        private int _unanswered;    // requests whose ACK is not queued yet (the end of the stream waits for them)

        public async Task RunAsync(CancellationToken stop)
        {
            using var stream = new NetworkStream(socket, ownsSocket: false);
            var writing = WriteLoopAsync(stream);
            try
            {
                await FrameLoop.RunAsync(PipeReader.Create(stream), OnFrame, stop).ConfigureAwait(false);
                // The peer closed its side (`nc -N` does, after sending): answer what it sent before closing ours.
                while (Volatile.Read(ref _unanswered) > 0 && !stop.IsCancellationRequested)
                    await Task.Delay(10, stop).ConfigureAwait(false);
            }
            catch (ProtocolException e)
            {
                // A stream error: say why, then close (spec §9). Requests already begun still finish and are cached.
                Interlocked.Increment(ref server._processor.Counters.StreamErrors);
                server._log.Warn("connection from {0} closed: {1} ({2})", peer, e.Message, e.Code);
                _out.Writer.TryWrite(ErrorPdu.For(e));
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // The peer went away or hostd is stopping; nothing to answer.
            }
            finally
            {
                _out.Writer.TryComplete();
            }
            await writing.ConfigureAwait(false);
        }

        private void OnFrame(ReadOnlySpan<byte> frame)
        {
            var type = (PduType)frame[3];
            if (type != PduType.Request)
                throw new ProtocolException(ProtocolErrorCode.UnexpectedType, $"hostd takes only REQUEST PDUs on this port, not type 0x{(byte)type:x2}");
            RequestPdu request;
            try
            {
                request = (RequestPdu)PduCodec.Decode(frame, server._key);
            }
            catch (ProtocolException e) when (!e.IsStreamError)
            {
                // A PDU error in an authentic REQUEST: answer it and keep the connection (spec §9).
                Interlocked.Increment(ref server._processor.Counters.BadPdus);
                var body = PduCodec.Body(frame);
                ulong id = RequestView.PeekRequestId(body);
                server._log.Warn("request {0} from {1} refused: {2}", RequestProcessor.Id(id), peer, e.Message);
                Send(new AckPdu
                {
                    RequestId = id,
                    BootId = server._processor.BootId,
                    Code = e.Code == ProtocolErrorCode.UnknownCritical ? AckCode.Unsupported : AckCode.Failure,
                    Results = new AttrList().Add(AttrType.Message, ErrorPdu.Truncate(e.Message, 1024)),
                });
                return;
            }
            if (Interlocked.Increment(ref _inFlight) > server._maxInFlight)
            {
                Interlocked.Decrement(ref _inFlight);
                Interlocked.Increment(ref server._processor.Counters.Busy);
                Send(new AckPdu
                {
                    RequestId = request.RequestId,
                    BootId = server._processor.BootId,
                    Code = AckCode.Busy,
                    Vm = request.Vm,
                    Results = new AttrList().Add(AttrType.Message, $"{server._maxInFlight} requests in flight on this connection already; retry with the same id"),
                });
                return;
            }
            ulong digest = XxHash3.HashToUInt64(PduCodec.Body(frame)[8..]);
            _ = ProcessAsync(request, digest);
        }

        private async Task ProcessAsync(RequestPdu request, ulong digest)
        {
            Interlocked.Increment(ref _unanswered);
            AckPdu ack;
            try
            {
                ack = await server._processor.HandleAsync(request, digest, peer).ConfigureAwait(false);
            }
            finally
            {
                // Before the ACK is queued: a controller that sends its next request the moment it reads this
                // ACK must find the slot free.
                Interlocked.Decrement(ref _inFlight);
            }
            Send(ack);
            Interlocked.Decrement(ref _unanswered);
        }

        private void Send(Pdu pdu) => _out.Writer.TryWrite(pdu);

        // Writes what is queued, a batch per write; an ERROR is the last thing written before the close.
        private async Task WriteLoopAsync(NetworkStream stream)
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            try
            {
                while (await _out.Reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    bool last = false;
                    while (_out.Reader.TryRead(out var pdu))
                    {
                        PduCodec.Encode(pdu, buffer, server._key);
                        last |= pdu is ErrorPdu;
                    }
                    await stream.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
                    buffer.ResetWrittenCount();
                    if (last) break;
                }
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // The peer is gone; its acks are lost, and the request-id cache answers its retries.
            }
        }
    }
}
