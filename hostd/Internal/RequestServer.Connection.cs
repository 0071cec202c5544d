// One controller connection of hostd's RequestServer: its read loop, its pipelined requests (each owned by the
// connection from its frame to its ACK, in _pending) and its ACK queue. The read loop alone reads and starts
// requests; a request's ACK is queued by whichever thread finishes it (a worker, a deadline's timer, a stop past its
// timeout: Pending.TryClaim lets exactly one answer), and the write loop alone drains the queue to the socket.
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using NLog;
using Vmm.Hosting;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Internal;

internal sealed partial class RequestServer
{
    /// <summary>One controller connection: a read loop and a write loop joined by a channel of PDUs to send.</summary>
    private sealed class Connection
    {
        private readonly RequestServer server;
        private readonly Socket socket;
        private readonly string peer;
        private readonly AckQueue _out;
        private readonly CancellationTokenSource _abort = new();   // the peer is cut off: displaced, or no PDU in time
        private readonly PendingSet<Pending> _pending = new();   // this connection's requests still being worked on
        private ConnectionAdmission.Slot? _slot;   // set before the first frame is read
        private int _inFlight;      // requests counted against max-requests-per-connection
        private volatile bool _proven, _displaced;

        public Connection(RequestServer server, Socket socket)
        {
            this.server = server;
            this.socket = socket;
            ThinStream.Tune(socket);
            var remote = socket.RemoteEndPoint as IPEndPoint;
            Address = remote?.Address ?? IPAddress.None;
            peer = remote?.ToString() ?? "?";
            Source = ConnectionAdmission.SourceName(Address);
            _out = new AckQueue(server._keys, server._limits.MaxQueuedAckBytes, server.Counters);
        }

        /// <summary>The peer's address, what the per-source bound counts by.</summary>
        public IPAddress Address { get; }

        /// <summary>The peer's address and port, as log lines name it.</summary>
        public string Peer => peer;

        /// <summary>The source as the per-source bound and the log throttle count it.</summary>
        public string Source { get; }

        /// <summary>Serves until the peer leaves or <paramref name="closing"/> (after a stop's drain).</summary>
        public async Task RunAsync(ConnectionAdmission.Slot slot, CancellationToken closing)
        {
            _slot = slot;
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using var cut = CancellationTokenSource.CreateLinkedTokenSource(closing, _abort.Token);
            // The first authentic PDU must come within the handshake timeout; a connection is never cut for
            // idling after that (a controller keeps one open between requests, and closes it itself).
            if (!_proven) _abort.CancelAfter(server._limits.HandshakeTimeout);
            var writing = _out.WriteToAsync(stream);
            try
            {
                await FrameLoop.RunAsync(PipeReader.Create(stream), OnFrame, cut.Token, beforeRead: _out.WaitForRoomAsync).ConfigureAwait(false);
                // The peer closed its side (`nc -N` does, after sending): answer what it sent before closing ours.
                await _pending.WhenEmpty().WaitAsync(closing).ConfigureAwait(false);
            }
            catch (ProtocolException e)
            {
                // A stream error: say why, then close (spec §9). Requests already begun still finish and are cached.
                Interlocked.Increment(ref server.Counters.StreamErrors);
                server.LogThrottled(LogLevel.Warn, Source, e.Code.ToString(), "connection from {0} closed: {1}", peer, $"{e.Message} ({e.Code})");
                _out.EnqueueLast(ErrorPdu.For(e));
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The peer went away, or was cut off, or hostd is stopping; nothing to answer.
                if (!_proven && !_displaced && _abort.IsCancellationRequested && !closing.IsCancellationRequested)
                {
                    Interlocked.Increment(ref server.Counters.HandshakeTimeouts);
                    server.LogThrottled(LogLevel.Info, Source, "handshake-timeout", "connection from {0} closed: {1}", peer,
                        $"no authentic PDU within {server._limits.HandshakeTimeout.TotalSeconds:0.#} s (handshake-timeout)");
                }
            }
            finally
            {
                // Closing with requests still running (a stop past its timeout): each gets its ACK now.
                foreach (var pending in _pending.Snapshot())
                    if (pending.TryClaim())
                    {
                        Send(Answer(pending.Request.RequestId, pending.Request.Vm, AckCode.Failure, AbandonedMessage));
                        server._requests.Remove(pending);
                    }
                _out.Complete();
            }
            try
            {
                await writing.ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // The peer is gone; its acks are lost, and the request-id cache answers its retries.
            }
        }

        public void Abort() => socket.Dispose();

        // The handshake timer goes with it, rather than holding the connection until it would have fired.
        public void Dispose() => _abort.Dispose();

        /// <summary>A newer connection takes this one's place (it never sent an authentic PDU): cut it off.</summary>
        public void Displace()
        {
            _displaced = true;
            server.LogThrottled(LogLevel.Info, Source, "displaced", "connection from {0} closed: {1}", peer,
                "displaced by a newer connection (max-connections or max-connections-per-source reached, and this one sent no authentic PDU)");
            try { _abort.Cancel(); }
            catch (ObjectDisposedException) { }   // it ended meanwhile
        }

        // The peer holds the key: from now on its connection is neither displaced nor timed out.
        private void Prove()
        {
            if (_proven) return;
            _proven = true;
            _abort.CancelAfter(Timeout.InfiniteTimeSpan);
            server._admission.Proven(_slot!);
        }

        // An ACK hostd gives without asking the hypervisor: refused, busy, or abandoned at a stop.
        private AckPdu Answer(ulong requestId, Guid vm, AckCode code, string message) => new()
        {
            RequestId = requestId,
            BootId = server._processor.BootId,
            Code = code,
            Vm = vm,
            Results = Outcome.With(code, vm, message, null).Results,
        };

        // Transport refusals only: framing and authentication (a stream error), a body that does not parse, hostd
        // stopping, and this connection's bound. Every other decision about a request is the processor's.
        private void OnFrame(PduFrame frame)
        {
            if (frame.Type != PduType.Request)
                throw new ProtocolException(ProtocolErrorCode.UnexpectedType, $"hostd takes only REQUEST PDUs on this port, not type 0x{(byte)frame.Type:x2}");
            RequestPdu request;
            try
            {
                request = (RequestPdu)PduCodec.Decode(frame, server._keys);
            }
            catch (ProtocolException e) when (!e.IsStreamError)
            {
                // A PDU error in an authentic REQUEST: answer it and keep the connection (spec §9).
                Prove();
                Interlocked.Increment(ref server.Counters.BadPdus);
                ulong id = RequestView.PeekRequestId(frame.Body);
                server.LogThrottled(LogLevel.Warn, Source, e.Code.ToString(), "request {0} refused: {1}", $"{RequestProcessor.Id(id)} from {peer}", e.Message);
                Send(Answer(id, Guid.Empty, e.Code == ProtocolErrorCode.UnknownCritical ? AckCode.Unsupported : AckCode.Failure, e.Message));
                return;
            }
            Prove();
            if (server._stopping)
            {
                Interlocked.Increment(ref server.Counters.Refused);
                server._log.Info("request {0} from {1} refused: hostd is stopping", RequestProcessor.Id(request.RequestId), peer);
                Send(Answer(request.RequestId, request.Vm, AckCode.Failure, StoppingMessage));
                return;
            }
            if (Interlocked.Increment(ref _inFlight) > server._maxInFlight)
            {
                Interlocked.Decrement(ref _inFlight);
                Interlocked.Increment(ref server.Counters.Busy);
                Send(Answer(request.RequestId, request.Vm, AckCode.Busy, $"{server._maxInFlight} requests in flight on this connection already; retry with the same id"));
                return;
            }
            Begin(request);
        }

        // The connection owns the request from here until its ACK is queued: the task is kept with it in _pending
        // (which the read loop's end and a stop await), and never faults.
        private void Begin(RequestPdu request)
        {
            var pending = new Pending(request);
            _pending.Add(pending);
            server._requests.Add(pending);
            pending.Work = ProcessAsync(pending);
        }

        private async Task ProcessAsync(Pending pending)
        {
            var request = pending.Request;
            try
            {
                AckPdu ack;
                try
                {
                    ack = await server._processor.HandleAsync(request, peer).ConfigureAwait(false);
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
                    server._requests.Remove(pending);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A bug, not a hypervisor error (those are outcomes): logged, and the request still gets its answer.
                server._log.Error(e, "request {0} from {1}: unexpected failure", RequestProcessor.Id(request.RequestId), peer);
                if (pending.TryClaim())
                {
                    Send(Answer(request.RequestId, request.Vm, AckCode.Failure, "internal error in hostd: " + e.Message));
                    server._requests.Remove(pending);
                }
            }
            finally
            {
                _pending.Remove(pending);
            }
        }

        private void Send(Pdu pdu) => _out.Enqueue(pdu);
    }
}
