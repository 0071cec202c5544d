// hostd's TCP listener (spec §2, §3.4, §9): many connections, pipelined requests, each ACK on the
// connection its request came from. A stream error (bad framing, failed authentication, a PDU that is
// not a REQUEST) ends only its own connection, with an ERROR; a PDU error is answered by an ACK.
// A stop is graceful: the listener closes (new connections are refused), requests already begun get up to
// the stop timeout to finish, requests that arrive meanwhile are answered "stopping", and whatever is still
// running after the timeout is answered too, so that no request a controller sent goes unanswered.
using System.Buffers;
using System.Collections.Concurrent;
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
    private readonly KeyRing _keys;
    private readonly RequestProcessor _processor;
    private readonly int _maxConnections, _maxInFlight;
    private readonly Logger _log;
    private readonly ConcurrentDictionary<Connection, byte> _open = new();
    private int _connections;
    private int _requestsInFlight;
    private volatile bool _stopping;

    /// <summary>Binds <paramref name="listen"/> at once (port 0 picks a free port: see <see cref="LocalEndPoint"/>).
    /// Requests must be signed with one of this host's <paramref name="keys"/>, so a request made for another host
    /// is never acted on here (spec §3.3); ACKs and ERRORs are signed with the first.</summary>
    public RequestServer(IPEndPoint listen, KeyRing keys, RequestProcessor processor, int maxConnections, int maxInFlight, Logger log)
    {
        _keys = keys;
        _processor = processor;
        _maxConnections = maxConnections;
        _maxInFlight = maxInFlight;
        _log = log;
        _listener = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (listen.AddressFamily == AddressFamily.InterNetworkV6) _listener.DualMode = listen.Address.Equals(IPAddress.IPv6Any);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(listen);
        _listener.Listen(128);
        LocalEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    /// <summary>The address bound (still known after a stop has closed the listener).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Connections open now.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Requests taken and not answered yet, over every connection.</summary>
    public int RequestsInFlight => Volatile.Read(ref _requestsInFlight);

    /// <summary>True from the stop on: new requests are answered "stopping".</summary>
    public bool Stopping => _stopping;

    /// <summary>The ACK message of a request that arrives while hostd stops.</summary>
    public const string StoppingMessage = "hostd is stopping: request not carried out; send it again when the host is back (a new boot)";

    /// <summary>The ACK message of a request still running when the stop timeout ran out.</summary>
    public const string AbandonedMessage = "hostd stopped before the hypervisor finished; the operation may still complete (the host's next STATE will show it)";

    /// <summary>
    /// Accepts connections until <paramref name="stop"/>. Then stops: no new connections, up to
    /// <paramref name="grace"/> for requests in flight to finish (new ones are answered "stopping"), an ACK
    /// for each request still running after that, and every connection closed once its ACKs are written.
    /// </summary>
    public async Task RunAsync(CancellationToken stop, TimeSpan grace = default)
    {
        var open = new List<Task>();
        using var closing = new CancellationTokenSource();
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
                open.Add(ServeAsync(socket, closing.Token));
            }
        }
        finally
        {
            // Closed first: a controller connecting from now on is refused at once, not left waiting.
            _listener.Dispose();
            _stopping = true;
            await DrainAsync(grace).ConfigureAwait(false);
            await closing.CancelAsync().ConfigureAwait(false);
            var closed = Task.WhenAll(open);
            // A peer that reads nothing cannot hold the stop up: its socket is closed under its ACKs.
            if (await Task.WhenAny(closed, Task.Delay(CloseTimeout)).ConfigureAwait(false) != closed)
                foreach (var connection in _open.Keys) connection.Abort();
            await closed.ConfigureAwait(false);
        }
    }

    /// <summary>How long connections have to write their last ACKs once a stop closes them.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    // Waits for requests in flight, up to grace; the connections keep reading, so that each new request is
    // answered "stopping" rather than lost.
    private async Task DrainAsync(TimeSpan grace)
    {
        int waiting = RequestsInFlight;
        if (waiting == 0) return;
        _log.Info("stopping: waiting up to {0:0.#} s for {1} request(s) in flight", grace.TotalSeconds, waiting);
        var until = System.Diagnostics.Stopwatch.StartNew();
        while (RequestsInFlight > 0 && until.Elapsed < grace)
            await Task.Delay(10).ConfigureAwait(false);
        int left = RequestsInFlight;
        if (left > 0)
            _log.Warn("stopping: {0} request(s) still running after stop-timeout ({1:0.#} s); answering them \"stopped\"", left, grace.TotalSeconds);
    }

    private async Task ServeAsync(Socket socket, CancellationToken closing)
    {
        socket.NoDelay = true;
        string peer = socket.RemoteEndPoint?.ToString() ?? "?";
        var connection = new Connection(this, socket, peer);
        _open[connection] = 0;
        try
        {
            await connection.RunAsync(closing).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.Warn("connection from {0} failed: {1}", peer, e.Message);
        }
        finally
        {
            _open.TryRemove(connection, out _);
            Interlocked.Decrement(ref _connections);
            socket.Dispose();
        }
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>One controller connection: a read loop and a write loop joined by a channel of PDUs to send.</summary>
    private sealed class Connection(RequestServer server, Socket socket, string peer)
    {
        private readonly Channel<Pdu> _out = Channel.CreateUnbounded<Pdu>(new UnboundedChannelOptions { SingleReader = true });
        private readonly HashSet<Pending> _pending = [];   // requests whose ACK is not queued yet (under its own lock)
        private int _inFlight;      // requests counted against max-requests-per-connection

        /// <summary>Serves until the peer leaves or <paramref name="closing"/> (after a stop's drain).</summary>
        public async Task RunAsync(CancellationToken closing)
        {
            using var stream = new NetworkStream(socket, ownsSocket: false);
            var writing = WriteLoopAsync(stream);
            try
            {
                await FrameLoop.RunAsync(PipeReader.Create(stream), OnFrame, closing).ConfigureAwait(false);
                // The peer closed its side (`nc -N` does, after sending): answer what it sent before closing ours.
                while (PendingCount > 0 && !closing.IsCancellationRequested)
                    await Task.Delay(10, closing).ConfigureAwait(false);
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
                // Closing with requests still running (a stop past its timeout): each gets its ACK now.
                Pending[] left;
                lock (_pending) left = [.. _pending];
                foreach (var pending in left)
                    if (pending.TryClaim())
                    {
                        Send(Answer(pending.Request.RequestId, pending.Request.Vm, AckCode.Failure, AbandonedMessage));
                        Interlocked.Decrement(ref server._requestsInFlight);
                    }
                _out.Writer.TryComplete();
            }
            await writing.ConfigureAwait(false);
        }

        public void Abort() => socket.Dispose();

        // An ACK hostd gives without asking the hypervisor: refused, busy, or abandoned at a stop.
        private AckPdu Answer(ulong requestId, Guid vm, AckCode code, string message) => new()
        {
            RequestId = requestId,
            BootId = server._processor.BootId,
            Code = code,
            Vm = vm,
            Results = Outcome.With(code, vm, message, null).Results,
        };

        private void OnFrame(ReadOnlySpan<byte> frame)
        {
            var type = (PduType)frame[3];
            if (type != PduType.Request)
                throw new ProtocolException(ProtocolErrorCode.UnexpectedType, $"hostd takes only REQUEST PDUs on this port, not type 0x{(byte)type:x2}");
            RequestPdu request;
            try
            {
                request = (RequestPdu)PduCodec.Decode(frame, server._keys);
            }
            catch (ProtocolException e) when (!e.IsStreamError)
            {
                // A PDU error in an authentic REQUEST: answer it and keep the connection (spec §9).
                Interlocked.Increment(ref server._processor.Counters.BadPdus);
                var body = PduCodec.Body(frame);
                ulong id = RequestView.PeekRequestId(body);
                server._log.Warn("request {0} from {1} refused: {2}", RequestProcessor.Id(id), peer, e.Message);
                Send(Answer(id, Guid.Empty, e.Code == ProtocolErrorCode.UnknownCritical ? AckCode.Unsupported : AckCode.Failure, e.Message));
                return;
            }
            if (server._stopping)
            {
                Interlocked.Increment(ref server._processor.Counters.Refused);
                server._log.Info("request {0} from {1} refused: hostd is stopping", RequestProcessor.Id(request.RequestId), peer);
                Send(Answer(request.RequestId, request.Vm, AckCode.Failure, StoppingMessage));
                return;
            }
            if (Interlocked.Increment(ref _inFlight) > server._maxInFlight)
            {
                Interlocked.Decrement(ref _inFlight);
                Interlocked.Increment(ref server._processor.Counters.Busy);
                Send(Answer(request.RequestId, request.Vm, AckCode.Busy, $"{server._maxInFlight} requests in flight on this connection already; retry with the same id"));
                return;
            }
            ulong digest = XxHash3.HashToUInt64(PduCodec.Body(frame)[8..]);
            _ = ProcessAsync(request, digest);
        }

        private async Task ProcessAsync(RequestPdu request, ulong digest)
        {
            var pending = new Pending(request);
            lock (_pending) _pending.Add(pending);
            Interlocked.Increment(ref server._requestsInFlight);
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
            // Unless a stop past its timeout answered it already (the outcome is cached all the same).
            if (pending.TryClaim())
            {
                Send(ack);
                Interlocked.Decrement(ref server._requestsInFlight);
            }
            lock (_pending) _pending.Remove(pending);
        }

        private int PendingCount { get { lock (_pending) return _pending.Count; } }

        /// <summary>A request being worked on; exactly one ACK is sent for it, whoever claims it first.</summary>
        private sealed class Pending(RequestPdu request)
        {
            private int _answered;

            public RequestPdu Request { get; } = request;

            public bool TryClaim() => Interlocked.Exchange(ref _answered, 1) == 0;
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
                        PduCodec.Encode(pdu, buffer, server._keys.Signing);
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
