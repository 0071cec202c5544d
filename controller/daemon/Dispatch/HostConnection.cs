// One TCP connection to one hostd (spec §3.4). Requests are pipelined: any number may be written before their
// ACKs come back, one writer at a time so that PDUs never interleave; one loop reads the ACKs and hands each to
// the request with its id, in whatever order the host answers. Anything the controller cannot trust (a bad
// header, a tag that does not verify, an ACK that does not parse, an ERROR from the host) ends the connection,
// and every request still waiting on it learns that it was lost, to be sent again elsewhere (§9).
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using NLog;
using Vmm.Hosting;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Controller.Dispatch;

/// <summary>A connection to one hostd, shared by every request to it.</summary>
internal sealed class HostConnection
{
    // A stuck peer must not hold the ERROR written on the way out for long.
    private static readonly TimeSpan ErrorWriteTimeout = TimeSpan.FromSeconds(1);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly HostKeys _keys;
    private readonly string _host;
    private readonly Logger _log;
    private readonly TimeProvider _time;
    private readonly string _peer;
    private readonly Action<HostConnection> _onClosed;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();

    // Requests written and not answered yet, by id; guarded by _gate, as are _closeReason, _lastUsed, _retired and _bootSeen.
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, TaskCompletionSource<AckPdu?>> _waiting = [];
    private string? _closeReason;
    private long _lastUsed;
    private bool _retired;
    private ulong _bootSeen;

    private HostConnection(Socket socket, string host, string peer, DispatchContext context, Action<HostConnection> onClosed)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        _peer = peer;
        _keys = context.Keys;
        _host = host;
        _log = context.Log;
        _time = context.Time;
        _lastUsed = _time.GetTimestamp();
        _onClosed = onClosed;
        Reading = Task.CompletedTask;
    }

    /// <summary>The read loop; it ends when the connection closes and never faults.</summary>
    public Task Reading { get; private set; }

    /// <summary>False once the connection has closed, for whatever reason.</summary>
    public bool IsOpen
    {
        get { lock (_gate) return _closeReason is null; }
    }

    /// <summary>The boot of the hostd that answered on this connection (one process holds a connection for its
    /// whole life); 0 until its first ACK.</summary>
    public ulong BootSeen
    {
        get { lock (_gate) return _bootSeen; }
    }

    /// <summary>
    /// A fresh connection took this one's place (a hedge, spec §7.6): it carries no new request and closes once
    /// the requests it carries have their answers or their deadlines.
    /// </summary>
    public void Retire()
    {
        lock (_gate)
        {
            _retired = true;
            if (_waiting.Count > 0) return;
        }
        Close("replaced by a fresh connection", expected: true);
    }

    /// <summary>
    /// Connects to <paramref name="endpoint"/>, the hostd of <paramref name="host"/> (whose key checks every ACK),
    /// within the connect timeout and starts reading.
    /// <paramref name="onClosed"/> runs once when the connection closes. Throws <see cref="SocketException"/>, or
    /// <see cref="OperationCanceledException"/> on the timeout or <paramref name="stop"/>.
    /// </summary>
    public static async Task<HostConnection> OpenAsync(IPEndPoint endpoint, string host, string peer, DispatchContext context,
        Action<HostConnection> onClosed, CancellationToken stop)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        ThinStream.Tune(socket);
        try
        {
            // A host that vanishes without a reset (power loss, a cut link) is found by keepalive well before a
            // long request's deadline, so its requests go out again as soon as the host is back.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 5);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
            using var timeout = new CancellationTokenSource(context.Options.ConnectTimeout, context.Time);
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
            await socket.ConnectAsync(endpoint, connect.Token).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new HostConnection(socket, host, peer, context, onClosed);
        connection.Reading = connection.ReadLoopAsync();
        return connection;
    }

    /// <summary>
    /// Writes one signed REQUEST and waits for its ACK. Null: the connection was lost before the ACK came (the
    /// request may or may not have reached the host). Cancelling stops the wait, never a write half done.
    /// </summary>
    public async Task<AckPdu?> ExchangeAsync(ulong requestId, ReadOnlyMemory<byte> frame, CancellationToken cancel)
    {
        var answer = new TaskCompletionSource<AckPdu?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_closeReason is not null) return null;
            // One request id is in flight on one connection at a time: its caller waits for this exchange to end.
            _waiting.Add(requestId, answer);
        }
        try
        {
            await WriteAsync(frame, cancel).ConfigureAwait(false);
            return await answer.Task.WaitAsync(cancel).ConfigureAwait(false);
        }
        finally
        {
            bool done;
            lock (_gate)
            {
                if (_waiting.TryGetValue(requestId, out var current) && current == answer) _waiting.Remove(requestId);
                done = _retired && _waiting.Count == 0;
            }
            if (done) Close("replaced by a fresh connection", expected: true);
        }
    }

    /// <summary>The timestamp (of the dispatch clock) of the last write or ACK, or null while requests are waiting.</summary>
    public long? IdleSince
    {
        get { lock (_gate) return _waiting.Count == 0 ? _lastUsed : null; }
    }

    /// <summary>
    /// Closes the connection once: stops the read loop, drops the socket and tells every waiting request that it
    /// was lost. Logged at info when <paramref name="expected"/> (idle, stopping) or when no request was lost
    /// (a host may close an idle connection too), else at warn.
    /// </summary>
    public void Close(string reason, bool expected)
    {
        TaskCompletionSource<AckPdu?>[] lost;
        lock (_gate)
        {
            if (_closeReason is not null) return;
            _closeReason = reason;
            lost = [.. _waiting.Values];
            _waiting.Clear();
        }
        _closing.Cancel();
        _stream.Dispose();
        foreach (var waiter in lost) waiter.TrySetResult(null);
        if (expected || lost.Length == 0)
            _log.Info("closed the connection to {Peer}: {Reason} ({Count} requests were in flight)", _peer, reason, lost.Length);
        else
            _log.Warn("lost the connection to {Peer}: {Reason}; {Count} requests in flight will be sent again", _peer, reason, lost.Length);
        _onClosed(this);
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> frame, CancellationToken cancel)
    {
        await _writeLock.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            // Only closing the connection interrupts a write: a PDU cut in half would leave the stream undelimited.
            // So a write the host does not take (it stopped reading) closes the connection when the request's
            // deadline comes, rather than hold the request past it.
            using var stalled = cancel.Register(static c => ((HostConnection)c!).Close("a write stalled: the host is not reading", expected: false), this);
            await _stream.WriteAsync(frame, _closing.Token).ConfigureAwait(false);
            lock (_gate) _lastUsed = _time.GetTimestamp();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Close(_closing.IsCancellationRequested ? "closed while writing" : $"write failed: {Reason(e)}", expected: false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        string reason;
        try
        {
            await FrameLoop.RunAsync(_reader, OnFrame, _closing.Token).ConfigureAwait(false);
            reason = "the host closed the connection";
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            reason = "closed";
        }
        catch (ProtocolException e)
        {
            // A stream error (§9): say why on the way out, signed, as hostd would.
            reason = $"{e.Code.Name()}: {e.Message}";
            _log.Warn("{Peer} sent what cannot be trusted ({Reason}); answering with ERROR and closing", _peer, reason);
            await SendErrorAsync(e).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            reason = Reason(e);
        }
        catch (Exception e)
        {
            // Whatever ends the loop must end in Close, or the requests on this connection wait for nothing.
            reason = $"reading failed: {e.Message}";
        }
        await _reader.CompleteAsync().ConfigureAwait(false);
        Close(reason, expected: false);
    }

    // ACK and ERROR are all a hostd sends (spec §3.2: anything else is unexpected-type). The header was checked
    // by the frame loop; the tag is checked before the body is parsed.
    private void OnFrame(PduFrame frame)
    {
        switch (frame.Type)
        {
            case PduType.Ack:
                OnAck(frame);
                break;
            case PduType.Error:
                OnError(frame);
                break;
            default:
                throw new ProtocolException(ProtocolErrorCode.UnexpectedType,
                    $"a {frame.Type.Name()} PDU has no place on a connection to hostd, which sends only ack and error");
        }
    }

    private void OnAck(PduFrame frame)
    {
        // Only this host's key: an ACK signed by any other host (or a holder of its key) is a stream error.
        _keys.For(_host).Authenticate(frame.Bytes);
        // An ACK with a PDU error is not answered in kind: a peer that sends broken ACKs is not trusted further (§9).
        var ack = AckPdu.From(AckView.Parse(frame.Body));
        TaskCompletionSource<AckPdu?>? waiter;
        lock (_gate)
        {
            if (_closeReason is not null) return;
            _waiting.Remove(ack.RequestId, out waiter);
            _lastUsed = _time.GetTimestamp();
            _bootSeen = ack.BootId;
        }
        if (waiter is not null)
            waiter.TrySetResult(ack);
        else if (ack.RequestId == 0)
            _log.Warn("{Peer} could not read a request: {Message}", _peer, ack.Results.Text(AttrType.Message) ?? Names.Of(ack.Code));
        else
            _log.Debug("{Peer} answered request {Id:x16}, which no one waits for any more (its deadline passed)", _peer, ack.RequestId);
    }

    // The host's last word before it closes (§7.3). One it cannot sign with our key (another key, usually) is
    // still worth showing, marked as such; either way it is only logged.
    private void OnError(PduFrame frame)
    {
        bool verified = _keys.For(_host).Check(frame.Bytes) is null;
        string what;
        try
        {
            var error = (ErrorPdu)PduCodec.Decode(frame);
            what = $"{error.Code.Name()}: {error.Attributes.Text(AttrType.Message) ?? "(no message)"}";
        }
        catch (ProtocolException e)
        {
            what = $"(unreadable: {e.Message})";
        }
        _log.Warn("{Peer} sent ERROR {What}{Unverified}", _peer, what, verified ? "" : " (unverified: not signed with the host's key)");
        Close($"the host sent ERROR {what}", expected: false);
    }

    private async Task SendErrorAsync(ProtocolException e)
    {
        try
        {
            var bytes = PduCodec.ToBytes(ErrorPdu.For(e), _keys.For(_host).Signing);
            using var timeout = new CancellationTokenSource(ErrorWriteTimeout);
            await _writeLock.WaitAsync(timeout.Token).ConfigureAwait(false);
            try { await _stream.WriteAsync(bytes, timeout.Token).ConfigureAwait(false); }
            finally { _writeLock.Release(); }
        }
        catch (Exception x) when (x is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Best effort: the connection is being closed for the error anyway.
        }
    }

    private static string Reason(Exception e) => e switch
    {
        IOException { InnerException: SocketException s } => s.Message,
        _ => e.Message,
    };
}
