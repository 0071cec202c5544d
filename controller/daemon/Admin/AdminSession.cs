// One admin connection (spec §7.4, §9): PDUs are read and decoded as they arrive, and answered in order
// by one worker, so a reply is never interleaved with another. A stream error (bad header, a broken
// body, a PDU that does not belong here) is answered with ERROR, and the connection closed after the
// answers already due; an unknown critical attribute gets RESULT unsupported and the stream goes on.
// A connection with nothing to answer (no PDU read to its end, none being answered or watched) for
// admin-idle-timeout is closed, so that connections opened and left idle (or holding half a PDU) hold no
// slot of the server's bounds for long.
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;
using NLog;
using Vmm.Controller.Inventory;
using Vmm.Hosting;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Controller.Admin;

internal sealed partial class AdminSession
{
    // Flush a long reply every so many PDUs, so that a large fleet is streamed, not buffered whole.
    private const int FlushEvery = 256;

    // A watch flushes once this much is encoded: the bytes waiting for a slow client's socket stay this few.
    private const int WatchFlushBytes = 32 * 1024;

    private readonly Socket _socket;
    private readonly AdminServer _server;
    private readonly Logger _log;
    private readonly string _who;
    private readonly uint _uid;
    private readonly CancellationTokenSource _idle = new();
    private TimeSpan LastAnswerLimit => _server.Options.LastAnswerLimit;
    private readonly Channel<Incoming> _inbox = Channel.CreateUnbounded<Incoming>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private int _queued;

    public AdminSession(Socket socket, AdminServer server, PeerCredentials? peer, long number, Logger log)
    {
        _socket = socket;
        _server = server;
        _log = log;
        _who = $"admin #{number} {peer?.ToString() ?? "uid=?"}";
        _uid = peer?.Uid ?? uint.MaxValue;
        _idle.Token.UnsafeRegister(static s => ((AdminSession)s!).Idle(), this);
    }

    private void Arm() => _idle.CancelAfter(_server.Options.IdleTimeout);

    private void Disarm() => _idle.CancelAfter(Timeout.InfiniteTimeSpan);

    /// <summary>Nothing to answer for admin-idle-timeout: the connection is shut down, which ends the session.</summary>
    private void Idle()
    {
        _server.Refusals.Warn(_uid, "idle", () =>
            $"{_who}: closed: nothing to answer for {_server.Options.IdleTimeout.TotalSeconds:0.#} s (admin-idle-timeout)");
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Serves the connection until the client leaves, a stream error, or <paramref name="stop"/>.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        await using var stream = new NetworkStream(_socket, ownsSocket: true);
        var output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        Arm();
        var reading = ReadAsync(PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)), stop);
        try
        {
            await ServeAsync(output, stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away, or the controller is stopping: nothing more to answer.
        }
        finally
        {
            _socket.Close();
            await reading.ConfigureAwait(false);
            _idle.Dispose();
            // Every answer was flushed as it was written; what is left (a watch closed for not reading) goes
            // nowhere: the socket is closed.
            await output.CompleteAsync(new OperationCanceledException("the connection is closed")).ConfigureAwait(false);
        }
    }

    private async Task ReadAsync(PipeReader input, CancellationToken stop)
    {
        try
        {
            await FrameLoop.RunAsync(input, OnFrame, stop).ConfigureAwait(false);
        }
        catch (ProtocolException e)
        {
            Enqueue(new Incoming(null, e, null));
        }
        catch (OverloadedException e)
        {
            // Logged now, when it happens; the client is told after the answers already due.
            _server.Refusals.Warn(_uid, "overload", () => $"{_who}: {e.Message}; the answers due are sent, then RESULT unavailable and close");
            Enqueue(new Incoming(null, null, e.Message, Fatal: true));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            _inbox.Writer.TryComplete();
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void OnFrame(PduFrame frame)
    {
        if (frame.Type is not (PduType.AdminQuery or PduType.AdminSubmit))
        {
            if (frame.Type == PduType.Error)
            {
                _log.Info("{0}: the client sent ERROR and is closed: {1}", _who, Describe(frame));
                throw new OperationCanceledException();
            }
            throw new ProtocolException(ProtocolErrorCode.UnexpectedType,
                $"a {frame.Type.Name()} PDU is not sent to a controller's admin socket; only QUERY and SUBMIT are");
        }
        if (Interlocked.Increment(ref _queued) > _server.Options.MaxPipelined)
            throw new OverloadedException(_server.Options.MaxPipelined);
        Disarm();
        try
        {
            // Admin PDUs travel unsigned: key id and tag are ignored (spec §3.3).
            Enqueue(new Incoming(PduCodec.Decode(frame), null, null));
        }
        catch (ProtocolException e) when (e.Code == ProtocolErrorCode.UnknownCritical)
        {
            Enqueue(new Incoming(null, null, e.Message));
        }
    }

    private void Enqueue(Incoming item) => _inbox.Writer.TryWrite(item);

    private async Task ServeAsync(PipeWriter output, CancellationToken stop)
    {
        await foreach (var item in _inbox.Reader.ReadAllAsync(stop).ConfigureAwait(false))
        {
            Interlocked.Decrement(ref _queued);
            Disarm();
            if (item.Error is { } error)
            {
                _server.Refusals.Warn(_uid, "bad-pdu", () => $"{_who}: {error.Code.Name()}: {error.Message}; answered with ERROR and closed");
                await WriteAsync(output, ErrorPdu.For(error), stop).ConfigureAwait(false);
                return;
            }
            if (item.Fatal)
            {
                await WriteAsync(output, AdminReplies.Result(AckCode.Unavailable, item.Unsupported), stop).ConfigureAwait(false);
                return;
            }
            if (item.Unsupported is { } why)
            {
                _log.Info("{0}: refused: {1}", _who, why);
                await WriteAsync(output, AdminReplies.Result(AckCode.Unsupported, why), stop).ConfigureAwait(false);
                ArmIfIdle();
                continue;
            }
            bool more = item.Pdu switch
            {
                AdminQueryPdu q => await QueryAsync(q, output, stop).ConfigureAwait(false),
                AdminSubmitPdu s => await SubmitAsync(s, output, stop).ConfigureAwait(false),
                _ => false,
            };
            if (!more) return;
            ArmIfIdle();
        }
    }

    /// <summary>After an answer: with no PDU waiting, the idle deadline runs from now.</summary>
    private void ArmIfIdle()
    {
        if (Volatile.Read(ref _queued) == 0) Arm();
    }

    private async Task<bool> SubmitAsync(AdminSubmitPdu submit, PipeWriter output, CancellationToken stop)
    {
        AdminResultPdu result;
        try
        {
            result = await _server.Submits.HandleAsync(submit, _uid, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The controller is stopping with this request in hand. It may have reached the host, which may act
            // on it yet: the client is told so (the outcome is unknown, as for any timeout), not left with a
            // connection that closes without a word.
            result = AdminReplies.Result(AckCode.Timeout,
                "the controller stopped before the host answered: the request may still take effect; check with `vmmctl vm show` once the controller is back");
        }
        _log.Info("{0}: {1} -> {2}", _who, PduText.Format(submit), PduText.Format(result));
        if (stop.IsCancellationRequested)
        {
            // An answer that came as the controller stops (a success too) is still the client's last.
            await WriteLastAsync(output, result).ConfigureAwait(false);
            return false;
        }
        await WriteAsync(output, result, stop).ConfigureAwait(false);
        return true;
    }

    private async Task<bool> QueryAsync(AdminQueryPdu query, PipeWriter output, CancellationToken stop)
    {
        string request = PduText.Format(query);
        foreach (var a in query.Filters)
        {
            if (a.Critical && a.Type is not (AttrType.Host or AttrType.Ref) && !(a.Type == AttrType.Parallel && query.What == QueryKind.Drain)
                && !(a.Type is AttrType.SinceMs or AttrType.AfterEvent or AttrType.Follow && query.What == QueryKind.Events))
                return await Answer(AckCode.Unsupported, $"critical attribute {a.Def?.Name ?? $"0x{(byte)a.Type:x2}"} has no meaning in a query").ConfigureAwait(false);
        }
        string? host = query.Filters.Text(AttrType.Host);
        string? reference = query.Filters.Text(AttrType.Ref);
        var inventory = _server.Inventory;
        if (query.What == QueryKind.ForgetHost)
        {
            if (host is null) return await Answer(AckCode.Failure, "forget-host needs host: the host to forget").ConfigureAwait(false);
            return inventory.Forget(host, _uid) switch
            {
                ForgetOutcome.Forgotten => await Answer(AckCode.Success, null, $"host {host} forgotten").ConfigureAwait(false),
                ForgetOutcome.Pinned => await Answer(AckCode.Failure,
                    $"host {host} is pinned by the configuration (hosts): remove the pin, then restart the controller").ConfigureAwait(false),
                _ => await Answer(AckCode.NotFound, $"no host named {host}").ConfigureAwait(false),
            };
        }
        // The history names hosts and VMs that may be gone: its filters are matched, not looked up.
        if (query.What == QueryKind.Events) return await EventsAsync(query, host, reference, request, output, stop).ConfigureAwait(false);
        // A miss right after the controller started is looked up again once every live host has been heard.
        bool missing = (host is not null && !inventory.Knows(host))
            || (reference is not null && query.What == QueryKind.Vms && !inventory.Vms(host, reference).Any());
        if (missing) await inventory.AwaitStartAsync(stop).ConfigureAwait(false);
        if (host is not null && !inventory.Knows(host))
            return await Miss(inventory.Miss($"no host named {host}")).ConfigureAwait(false);

        switch (query.What)
        {
            case QueryKind.Hosts:
            {
                var hosts = inventory.Hosts(host);
                foreach (var h in hosts) PduCodec.Encode(AdminReplies.Host(h), output);
                return await Answer(AckCode.Success, null, $"{hosts.Count} hosts").ConfigureAwait(false);
            }
            case QueryKind.Vms:
            {
                int n = 0;
                foreach (var vm in inventory.Vms(host, reference))
                {
                    PduCodec.Encode(AdminReplies.Vm(vm), output);
                    if (++n % FlushEvery == 0) await output.FlushAsync(stop).ConfigureAwait(false);
                }
                if (n == 0 && reference is not null)
                    return await Miss(inventory.Miss(inventory.Resolve(reference, host).Message)).ConfigureAwait(false);
                return await Answer(AckCode.Success, null, $"{n} VMs").ConfigureAwait(false);
            }
            case QueryKind.Drain or QueryKind.Undrain:
                return await MaintainAsync(query, host, request, output, stop).ConfigureAwait(false);
            case QueryKind.Watch:
                _log.Info("{0}: {1} -> watching", _who, request);
                using (var watcher = inventory.Watchers.Subscribe(inventory.Options.MaxWatchQueueBytes, host, reference))
                    await WatchAsync(output, watcher, stop).ConfigureAwait(false);
                return false;

            default:
                return await Answer(AckCode.Unsupported, $"query kind {(byte)query.What} is not known to this controller").ConfigureAwait(false);
        }

        Task<bool> Miss((AckCode Code, string Message) answer) => Answer(answer.Code, answer.Message);

        async Task<bool> Answer(AckCode code, string? message, string? summary = null)
        {
            var result = AdminReplies.Result(code, message);
            _log.Info("{0}: {1} -> {2}", _who, request, summary is null ? PduText.Format(result) : $"{Names.Of(code)} ({summary})");
            await WriteAsync(output, result, stop).ConfigureAwait(false);
            return true;
        }
    }

    private static async Task WriteAsync(PipeWriter output, Pdu pdu, CancellationToken stop)
    {
        PduCodec.Encode(pdu, output);
        await output.FlushAsync(stop).ConfigureAwait(false);
    }

    /// <summary>Writes the last answer while the controller stops: <c>stop</c> is cancelled by then, so the
    /// write has a short limit of its own, and a client that does not read is not waited for.</summary>
    private async Task WriteLastAsync(PipeWriter output, Pdu pdu)
    {
        using var limit = new CancellationTokenSource(LastAnswerLimit);
        await WriteAsync(output, pdu, limit.Token).ConfigureAwait(false);
    }

    private static string Describe(PduFrame frame)
    {
        try { return PduText.Format(PduCodec.Decode(frame)); }
        catch (ProtocolException e) { return e.Message; }
    }

    /// <summary>A decoded PDU, a stream error to answer with ERROR, an unknown-critical refusal, or (fatal)
    /// the reason the connection is refused after the answers already due.</summary>
    private readonly record struct Incoming(Pdu? Pdu, ProtocolException? Error, string? Unsupported, bool Fatal = false);

    private sealed class OverloadedException(int max)
        : Exception($"more than {max} admin PDUs were sent ahead of their answers; send the next after each RESULT");
}
