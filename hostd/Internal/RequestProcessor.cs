// One REQUEST from an authentic frame to its ACK (spec §7.1, §7.2, §7.6): the boot binding, the
// request-id cache, one operation per VM, and the hypervisor call on a worker thread with a deadline.
using System.Diagnostics;
using NLog;
using Vmm.Hosting.Metrics;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Hostd.Internal;

/// <summary>What the processor decided, counted (the transport counts its own refusals: <see cref="TransportCounters"/>).</summary>
internal sealed class RequestCounters
{
    /// <summary>Requests handed to the processor, and of those: answered from the cache, busy (the id in flight, or its VM
    /// busy), refused (another boot, hypervisor unreachable, id reused, a foreign critical attribute), and replays.
    /// Successes whose ACK carried the event datagram that showed them (state), and those that went without.</summary>
    public long Requests, Replayed, Busy, Refused, Replays, WithState, WithoutState;
}

/// <summary>Where a request gets the event datagram that showed what it did (VmRefresher's receipts).</summary>
internal interface IStateReceipts
{
    /// <summary>Before the request runs: a task for the datagram (null when it came to nothing), or null when no
    /// receipt can be had.</summary>
    Task<byte[]?>? Expect(Guid vm, ulong requestId);

    /// <summary>The request no longer waits.</summary>
    void Forget(ulong requestId);
}

/// <summary>Turns requests into ACKs. Thread-safe: connections call it concurrently.</summary>
internal sealed class RequestProcessor(
    IHypervisor hypervisor,
    ulong bootId,
    TimeSpan callTimeout,
    BlockingWorkers workers,
    Action<Guid, ulong> vmChanged,
    Logger log,
    RequestCache? cache = null,
    IStateReceipts? receipts = null,
    DrainMark? drain = null,
    Action? statusChanged = null,
    Lease? lease = null)
{
    /// <summary>How long a successful request's ACK waits for the event datagram that shows it (spec §7.2, state);
    /// it goes without after that, and the controller waits for the datagram itself.</summary>
    public static readonly TimeSpan ReceiptWait = TimeSpan.FromMilliseconds(250);

    private readonly RequestCache _cache = cache ?? new RequestCache();
    private readonly DrainMark _drain = drain ?? new DrainMark(null, log);
    private readonly VmLocks _locks = new();

    public RequestCounters Counters { get; } = new();

    /// <summary>Requests by code and outcome, and how long each took to answer (the metrics).</summary>
    public RequestMetrics Metrics { get; } = new();

    /// <summary>The request-id cache (spec §7.6).</summary>
    public RequestCache Cache => _cache;

    public ulong BootId => bootId;

    /// <summary>This host's draining mark (spec §8.1, drain).</summary>
    public DrainMark Drain => _drain;

    /// <summary>
    /// Answers one authentic, well-formed request, as the transport decoded it. Every decision about it is
    /// taken here: ping, the boot binding, unknown codes, the request-id cache, busy VMs and the hypervisor's
    /// outcome. Never throws: every outcome is an ACK.
    /// </summary>
    public async ValueTask<AckPdu> HandleAsync(RequestPdu request, string peer)
    {
        Interlocked.Increment(ref Counters.Requests);
        long started = Stopwatch.GetTimestamp();

        // A critical attribute foreign to the code changes the request's meaning in a way this code does not
        // define (spec §5.4): refused before anything else, as an unknown critical attribute is when decoded.
        if (Enum.IsDefined(request.Code) && RequestParameters.ForeignCritical(request.Code, request.Parameters) is { } foreign)
        {
            Interlocked.Increment(ref Counters.Refused);
            return Answer(request, Outcome.With(AckCode.Unsupported, request.Vm, foreign, null), started, peer);
        }
        // Ping asks nothing of the hypervisor: answered here, for boot 0 (a controller learning the boot id) or this boot.
        if (request.Code == RequestCode.Ping && (request.BootId == 0 || request.BootId == bootId))
            return Answer(request, Outcome.Success(Guid.Empty), started, peer);
        if (request.BootId != bootId)
            return Refuse(request, started, peer,
                $"request for boot {request.BootId:x16}, but this hostd runs boot {bootId:x16}: the host restarted; take the boot id from its newest STATE");
        // A renewal asks nothing of the hypervisor and is not cached: sent twice, it extends to the same deadline (§15).
        if (request.Code == RequestCode.Lease) return Answer(request, Renew(request), started, peer);
        if (!Enum.IsDefined(request.Code))
            return Answer(request, Outcome.With(AckCode.UnknownRequest, request.Vm, $"unknown request code {(byte)request.Code}", null), started, peer);
        switch (_cache.Begin(request.RequestId, RequestCache.Digest(request), out var cached))
        {
            case CacheVerdict.Replayed:
                Interlocked.Increment(ref Counters.Replayed);
                Metrics.Record(request.Code, cached!.Code, Stopwatch.GetElapsedTime(started));
                log.Info("request {0} {1} {2}: replayed from the cache ({3})", Id(request), request.Vm, Name(request.Code), Names.Of(cached!.Code));
                return cached with { Flags = cached.Flags | AckFlags.Replayed, KeyId = 0, Tag = default };
            case CacheVerdict.InFlight:
                Interlocked.Increment(ref Counters.Busy);
                return Answer(request, Outcome.Busy(request.Vm, $"request {Id(request)} is still being worked on"), started, peer);
            case CacheVerdict.Reused:
                return Refuse(request, started, peer, $"request id {Id(request)} reused with different content");
            case CacheVerdict.Replay:
                Interlocked.Increment(ref Counters.Replays);
                log.Warn("request {0} from {1} refused: a replay (its id is older than the request-id window)", Id(request), peer);
                return Refuse(request, started, peer, $"replay: request id {Id(request)} is older than this host's request-id window");
        }

        // drain asks nothing of the hypervisor either (the mark is hostd's own): done even while libvirt is away.
        if (request.Code == RequestCode.Drain)
        {
            var marked = Answer(request, SetDraining(request), started, peer);
            _cache.Complete(request.RequestId, marked);
            return marked;
        }

        if (!hypervisor.Reachable)
        {
            _cache.Abandon(request.RequestId);
            return Refuse(request, started, peer, $"hypervisor unreachable: {hypervisor.UnreachableReason ?? "not connected yet"}");
        }

        // add with a zero uuid: the host picks it, and the cached ACK keeps it for a retry.
        if (request.Code == RequestCode.Add && request.Vm == Guid.Empty) request = request with { Vm = Guid.NewGuid() };
        if (!_locks.TryTake(request.Vm, request.RequestId, out ulong holder))
        {
            _cache.Abandon(request.RequestId);
            Interlocked.Increment(ref Counters.Busy);
            return Answer(request, Outcome.Busy(request.Vm, $"VM {request.Vm} is busy with request {Id(holder)}"), started, peer);
        }

        var deadline = callTimeout + ExtraWait(request);
        // Expected before the call: the read that pays it may follow the call's end within microseconds.
        var receipt = receipts?.Expect(request.Vm, request.RequestId);
        Outcome outcome;
        try
        {
            outcome = await workers.Run(() => Execute(request), deadline, _ => Finished(request)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The call goes on in the background; the VM stays busy until it returns (Finished releases it).
            outcome = Outcome.Failure(request.Vm,
                $"the hypervisor did not finish within {deadline.TotalSeconds:0.#} s; the operation may still complete (the next STATE will show it)");
        }
        var ack = Answer(request, outcome, started, peer);
        // unavailable: nothing was done, and the same id may be sent again once the cause has passed (an HA VM while
        // the lease is not running, §15.3): not kept, or the retry would be answered from the cache.
        if (ack.Code == AckCode.Unavailable) _cache.Abandon(request.RequestId);
        else _cache.Complete(request.RequestId, ack);
        return receipt is null ? ack : await WithStateAsync(ack, receipt).ConfigureAwait(false);
    }

    // A success carries the event datagram that showed it, so that the controller's read-your-writes does not wait
    // for that datagram over UDP, where it may be lost. The cache keeps the ACK without it: a replay's datagram would
    // be stale by then.
    private async ValueTask<AckPdu> WithStateAsync(AckPdu ack, Task<byte[]?> receipt)
    {
        byte[]? datagram = null;
        if (ack.Code == AckCode.Success)
        {
            try
            {
                datagram = await receipt.WaitAsync(ReceiptWait).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Not read in time (a slow hypervisor): the datagram still goes out by UDP.
            }
        }
        receipts!.Forget(ack.RequestId);
        if (ack.Code != AckCode.Success) return ack;
        if (datagram is null)
        {
            Interlocked.Increment(ref Counters.WithoutState);
            return ack;
        }
        Interlocked.Increment(ref Counters.WithState);
        AttrList results = [.. ack.Results];
        results.Add(new Attr { Type = AttrType.State, Opaque = new Blob(datagram) });
        return ack with { Results = results };
    }

    // drain: draining 1 sets the mark, 0 clears it; stored before the ACK, then sent in a datagram at once (spec §8.1).
    private Outcome SetDraining(RequestPdu request)
    {
        ulong? value = request.Parameters.Number(AttrType.Draining);
        if (value is null) return Outcome.Failure(Guid.Empty, "drain needs draining: 1 to mark the host draining, 0 to clear the mark");
        if (value > 1) return Outcome.Failure(Guid.Empty, $"draining is {value}: 1 marks the host draining, 0 clears the mark");
        bool draining = value == 1;
        bool changed;
        try
        {
            changed = _drain.Set(draining);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Error("cannot store the draining mark in {0}: {1}", _drain.FilePath, e.Message);
            return Outcome.Failure(Guid.Empty, $"cannot store the draining mark in {_drain.FilePath}: {e.Message} (check hostd's state-path)");
        }
        if (!changed) return Outcome.Unchanged(Guid.Empty, draining ? "the host is already marked draining" : "the host is not marked draining");
        log.Info(draining ? "host marked draining: placement skips it" : "draining mark cleared: placement may use the host again");
        statusChanged?.Invoke();
        return Outcome.Success(Guid.Empty);
    }

    /// <summary>Called with true when a granted renewal ends a fence (the fenced status is to be cleared).</summary>
    public Action<bool>? FencedChanged { get; set; }

    private Outcome Renew(RequestPdu request)
    {
        if (lease is null) return Outcome.Unsupported(Guid.Empty, "this hostd keeps no lease");
        if (request.Parameters.Text(AttrType.Controller) is not { } controller)
            return Outcome.Failure(Guid.Empty, "controller is required: the lease is held by a controller, named");
        if (request.Parameters.Number(AttrType.FenceAfterMs) is not { } fenceAfter)
            return Outcome.Failure(Guid.Empty, "fence-after-ms is required: how long the lease lasts without a renewal");
        var answer = lease.Renew(controller, request.Parameters.Number(AttrType.LeaseToken) ?? 0, (uint)Math.Min(fenceAfter, uint.MaxValue));
        var results = new AttrList();
        if (answer.Holder is { } holder) results.Add(AttrType.Controller, holder);
        if (answer.Granted) results.Add(AttrType.LeaseToken, answer.Token).Add(AttrType.FenceAfterMs, answer.RemainingMs);
        results.AddMessage(answer.Message);
        if (answer.Unfenced)
        {
            log.Warn("lease renewed by controller {0}: no longer fenced (the HA VMs fenced stay as they are)", controller);
            FencedChanged?.Invoke(false);
        }
        return new Outcome(answer.Granted ? AckCode.Success : AckCode.Failure, Guid.Empty, results);
    }

    // The hypervisor turns its own errors into outcomes (IHypervisor.Execute); anything else it throws is a bug.
    private Outcome Execute(RequestPdu request)
    {
        try
        {
            return hypervisor.Execute(request);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.Error(e, "request {0}: unexpected failure", Id(request));
            return Outcome.Failure(request.Vm, "internal error in hostd: " + e.Message);
        }
    }

    // On the worker thread, whether or not the caller is still waiting.
    private void Finished(RequestPdu request)
    {
        _locks.Release(request.Vm, request.RequestId);
        vmChanged(request.Vm, request.RequestId);
    }

    // A stop waits for the guest for timeout-ms before the call returns.
    private static TimeSpan ExtraWait(RequestPdu request)
    {
        if (request.Code != RequestCode.Stop) return TimeSpan.Zero;
        return request.Parameters.Number(AttrType.TimeoutMs) is ulong ms ? TimeSpan.FromMilliseconds(ms) : TimeSpan.FromSeconds(60);
    }

    private AckPdu Refuse(RequestPdu request, long started, string peer, string message)
    {
        Interlocked.Increment(ref Counters.Refused);
        return Answer(request, Outcome.Failure(request.Vm, message), started, peer);
    }

    private AckPdu Answer(RequestPdu request, Outcome outcome, long started, string peer)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        Metrics.Record(request.Code, outcome.Code, elapsed);
        AttrList results = [.. outcome.Results];
        results.Add(AttrType.DurationUs, (ulong)(elapsed.Ticks / 10));
        var ack = new AckPdu { RequestId = request.RequestId, BootId = bootId, Code = outcome.Code, Flags = outcome.Flags, Vm = outcome.Vm == Guid.Empty ? request.Vm : outcome.Vm, Results = results };
        // Renewals come every second from every controller (a standby's are refused each time): debug, not info.
        if (request.Code == RequestCode.Lease)
            log.Debug("request {0} lease from {1}: {2}: {3}", Id(request), peer, Names.Of(outcome.Code), outcome.Results.Text(AttrType.Message) ?? "");
        else if (outcome.Code == AckCode.Success)
            log.Info("request {0} {1} {2} from {3}: {4} in {5:0.###} ms", Id(request), ack.Vm, Name(request.Code), peer, Names.Of(outcome.Code), elapsed.TotalMilliseconds);
        else
            log.Info("request {0} {1} {2} from {3}: {4} in {5:0.###} ms: {6}", Id(request), ack.Vm, Name(request.Code), peer, Names.Of(outcome.Code), elapsed.TotalMilliseconds, outcome.Results.Text(AttrType.Message) ?? "");
        return ack;
    }

    private static string Name(RequestCode code) => Enum.IsDefined(code) ? Names.Of(code) : ((byte)code).ToString();

    private static string Id(RequestPdu r) => Id(r.RequestId);

    /// <summary>A request id as the logs write it: origin:counter in hex and decimal.</summary>
    public static string Id(ulong id) => $"{(uint)(id >> 32):x8}:{(uint)id}";
}
