// One request on its way to a host and back (spec §7.6). It is encoded and signed once, so every send carries
// the same id and the same bytes (hostd's request-id cache compares a digest of the body): after a lost
// connection it goes out again on the next one, after busy again after a backoff, until an ACK settles it or
// its deadline, which covers the whole attempt, ends it. Unanswered for HedgeAfter, it is also sent on a fresh
// connection (a hedge), since TCP's retransmission backoff on a lossy path stalls everything on a connection;
// the first answer wins. An ACK of a new boot of hostd adopts that boot (§6.6): a request the old boot cannot
// have received is bound to the new one and sent again, once.
using Vmm.Hosting;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Dispatch;

/// <summary>The attempts of one request, and what to report when they end without an answer.</summary>
internal sealed class Flight
{
    private readonly HostTarget _host;
    private readonly HostLink _link;
    private readonly TimeSpan _timeout;
    private readonly DispatchContext _context;
    private readonly DispatchOptions _options;
    private readonly List<HostConnection> _written = [];
    private readonly bool _sentBefore;
    private RequestPdu _request;
    private ReadOnlyMemory<byte> _frame;
    private bool _rebound;
    private bool _untracked;
    private int _sends;
    private int _lost;
    private AckPdu? _busy;

    /// <summary>
    /// Encodes and signs <paramref name="request"/>; throws <see cref="ProtocolException"/> when it cannot be encoded.
    /// With <paramref name="sentBefore"/>, the request is one sent before (vmmctl --request-id): those bytes go again,
    /// and as an earlier boot may have had them, an answer from another boot is never taken as "not received".
    /// </summary>
    public Flight(HostTarget host, HostLink link, RequestPdu request, TimeSpan timeout, DispatchContext context, ReadOnlyMemory<byte>? sentBefore = null)
    {
        _host = host;
        _link = link;
        _request = request;
        _timeout = timeout;
        _context = context;
        _options = context.Options;
        _sentBefore = sentBefore is not null;
        _frame = sentBefore ?? Encode(request);
    }

    /// <summary>How many times the request was written to a connection.</summary>
    public int Sends => _sends;

    /// <summary>The signed bytes sent last: bound to <see cref="BootId"/>.</summary>
    public ReadOnlyMemory<byte> Frame => _frame;

    /// <summary>The boot the request is bound to now: the target's, or the new boot it was sent to again.</summary>
    public ulong BootId => _request.BootId;

    private ulong Id => _request.RequestId;

    /// <summary>
    /// Sends until the host gives an answer other than busy, or busy past the retry limit. Throws
    /// <see cref="OperationCanceledException"/> when <paramref name="deadline"/> ends it first; then
    /// <see cref="Unanswered"/> says what to report.
    /// </summary>
    public async Task<DispatchResult> RunAsync(CancellationToken deadline)
    {
        int busyAnswers = 0;
        while (true)
        {
            var connection = await _link.ConnectAsync(deadline).ConfigureAwait(false);
            _busy = null;
            var ack = await ExchangeAsync(connection, deadline).ConfigureAwait(false);
            if (ack is null)
            {
                // It may have reached the host, which acts on it at most once: the same id on the next connection
                // gets the first ACK back. The pause keeps a host that drops every connection from being hammered.
                _lost++;
                _context.Log.Debug("request {Id:x16} to {Host}: connection lost, sending it again", Id, _host.Name);
                await Task.Delay(Backoff.Delay(_lost - 1, _options.ReconnectBackoffInitial, _options.ReconnectBackoffMax), _context.Time, deadline).ConfigureAwait(false);
                continue;
            }
            // A ping for any boot (boot 0) names the one that runs: adopted if it is new (a probe, §6.6).
            if (_request.BootId == 0 && ack.Code == AckCode.Success) _context.Adopt(_host.Name, ack.BootId);
            else if (ack.BootId != _request.BootId)
            {
                if (NewBoot(ack) is { } settled) return settled;
                continue;
            }
            if (ack.Code != AckCode.Busy) return Answered(ack);
            // Once a connection carrying the request was lost, busy may be this very request still being worked
            // on (§7.6): reporting "busy, try later" would be wrong, so it is asked again until the deadline.
            if (_lost == 0 && busyAnswers >= _options.BusyRetries) return Answered(ack);
            _busy = ack;
            var pause = Backoff.Delay(busyAnswers++, _options.BusyBackoffInitial, _options.BusyBackoffMax);
            _context.Log.Debug("request {Id:x16} to {Host}: busy ({Message}), asking again in {Ms} ms",
                Id, _host.Name, ack.Results.Text(AttrType.Message) ?? "no message", (long)pause.TotalMilliseconds);
            await Task.Delay(pause, _context.Time, deadline).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The outcome of a request its deadline (or the dispatcher's stop) ended: unavailable when it never left,
    /// the host's own busy when that was its last word, otherwise timeout, as its outcome is unknown (§8.2).
    /// </summary>
    public DispatchResult Unanswered(bool stopping)
    {
        string seconds = DispatchOptions.Seconds(_timeout);
        string peer = $"{_host.Name} ({_host.Endpoint})";
        const string mayTakeEffect = "; the request may still take effect";
        if (stopping)
            return _sends == 0
                ? Make(AckCode.Unavailable, $"not sent to {peer}: the controller is stopping")
                : Make(AckCode.Timeout, $"the controller stopped before {_host.Name} answered" + mayTakeEffect);
        if (_sends == 0)
            return Make(AckCode.Unavailable, $"{peer} is unreachable: {_link.LastError ?? $"no connection within {seconds} s"}");
        if (_busy is not null)
            return _lost == 0
                ? Answered(_busy)
                : Make(AckCode.Timeout, $"{_host.Name} still answered busy after {seconds} s, which may be this request in progress after a lost connection" + mayTakeEffect);
        if (_lost > 0 && _link.LastError is { } error)
            return Make(AckCode.Timeout, $"no answer from {_host.Name} within {seconds} s: the connection was lost and reconnecting failed ({error})" + mayTakeEffect);
        return Make(AckCode.Timeout, $"no answer from {_host.Name} within {seconds} s" + mayTakeEffect);
    }

    // One send on `connection`, hedged: unanswered after HedgeAfter, the same bytes go out on a fresh connection
    // too (up to MaxHedges times, each waiting twice as long), and the first useful answer is taken. Null: the
    // connection was lost before an answer, and no hedge brought one.
    private async Task<AckPdu?> ExchangeAsync(HostConnection connection, CancellationToken deadline)
    {
        Written(connection);
        if (_options.HedgeAfter <= TimeSpan.Zero || _options.MaxHedges == 0)
            return await connection.ExchangeAsync(Id, _frame, deadline).ConfigureAwait(false);

        using var primaryCancel = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        using var hedgeCancel = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        var primary = connection.ExchangeAsync(Id, _frame, primaryCancel.Token);
        var hedge = HedgeAsync(connection, hedgeCancel.Token);
        if (await Task.WhenAny(primary, hedge).ConfigureAwait(false) == hedge && await hedge.ConfigureAwait(false) is { } hedged)
        {
            // The hedge's answer settles it; the first copy, wherever it is, gets the same answer from hostd's cache.
            await primaryCancel.CancelAsync().ConfigureAwait(false);
            await Settled(primary).ConfigureAwait(false);
            return hedged;
        }
        AckPdu? ack = null;
        try
        {
            ack = await primary.ConfigureAwait(false);
        }
        finally
        {
            await hedgeCancel.CancelAsync().ConfigureAwait(false);
            // The primary's connection lost, a hedge that answered meanwhile is as good an answer.
            if (await hedge.ConfigureAwait(false) is { } late && ack is null) ack = late;
        }
        return ack;
    }

    // Each hedge goes out when its time comes, whether or not the ones before it were answered: a hedge whose own
    // connection stalls too does not hold back the next. The first useful answer of any is taken; busy means hostd
    // holds the request (or another on the VM), and its answer comes on a connection that carries it.
    private async Task<AckPdu?> HedgeAsync(HostConnection stalled, CancellationToken cancel)
    {
        var answers = new List<Task<AckPdu?>>();
        try
        {
            var wait = _options.HedgeAfter;
            for (int hedges = 0; hedges < _options.MaxHedges; hedges++, wait *= 2)
            {
                if (await FirstAnswerAsync(answers, Task.Delay(wait, _context.Time, cancel)).ConfigureAwait(false) is { } early) return early;
                cancel.ThrowIfCancellationRequested();
                var fresh = await _link.ReplaceAsync(stalled, cancel).ConfigureAwait(false);
                if (fresh is null || fresh == stalled) break;
                _context.Log.Debug("request {Id:x16} to {Host}: no answer within {Ms} ms, sending it again on a fresh connection",
                    Id, _host.Name, (long)wait.TotalMilliseconds);
                Written(fresh);
                answers.Add(fresh.ExchangeAsync(Id, _frame, cancel));
                stalled = fresh;
            }
            return await FirstAnswerAsync(answers, null).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    // The first answer among `answers` other than busy, or null once `until` completes first (null: once every one
    // has ended without one).
    private static async Task<AckPdu?> FirstAnswerAsync(List<Task<AckPdu?>> answers, Task? until)
    {
        while (true)
        {
            foreach (var done in answers.Where(a => a.IsCompletedSuccessfully))
                if (done.Result is { Code: not AckCode.Busy } ack) return ack;
            var racing = answers.Where(a => !a.IsCompleted).Cast<Task>().ToList();
            if (until is not null)
            {
                if (until.IsCompleted) return null;
                racing.Add(until);
            }
            if (racing.Count == 0) return null;
            await Task.WhenAny(racing).ConfigureAwait(false);
        }
    }

    private static async Task Settled(Task<AckPdu?> exchange)
    {
        try
        {
            await exchange.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Cancelled once the hedge answered.
        }
    }

    // Connections the request went out on, as far as NewBoot needs them (a few); past that, it is taken to have
    // gone anywhere.
    private void Written(HostConnection connection)
    {
        lock (_written)
        {
            _sends++;
            if (_written.Contains(connection)) return;
            if (_written.Count < MaxTracked) _written.Add(connection);
            else _untracked = true;
        }
    }

    private const int MaxTracked = 8;

    // The ACK came from a boot other than the one the request was bound to: hostd restarted since the controller
    // last heard it, and the ACK, signed with the host's key and naming a request id just drawn, proves it. The
    // boot is adopted (§6.6). If every connection the request went out on was answered by that new boot, the old
    // boot never had it: it is bound to the new boot and sent again, once; a second restart meanwhile makes it
    // unavailable (retryable, nothing was done). Null: send again.
    private DispatchResult? NewBoot(AckPdu ack)
    {
        bool adopted = _context.Adopt(_host.Name, ack.BootId);
        // Sent before this flight: the caller knows what the earlier sends were, and says what the answer means.
        if (_sentBefore) return Answered(ack);
        bool onlyNewBoot;
        lock (_written) onlyNewBoot = !_untracked && _written.TrueForAll(c => c.BootSeen == ack.BootId);
        if (!onlyNewBoot) return Restarted(ack);
        // Answered before the boot binding is checked (an unknown critical attribute): true for any boot.
        if (ack.Code != AckCode.Failure) return Answered(ack);
        if (adopted && !_rebound)
        {
            _context.Log.Info("request {Id:x16} to {Host}: hostd restarted (boot {Old:x16}, now {New:x16}) before it could have received the request; sending it to the new boot",
                Id, _host.Name, _request.BootId, ack.BootId);
            _rebound = true;
            _request = _request with { BootId = ack.BootId };
            _frame = Encode(_request);
            return null;
        }
        return Make(AckCode.Unavailable,
            $"{_host.Name} restarted (hostd boot {_request.BootId:x16}, now {ack.BootId:x16}) before the request reached it, " +
            (adopted ? "and again after it was sent anew" : "and that boot is not one this controller trusts") +
            "; it was not carried out: send it again");
    }

    /// <summary>
    /// The answer to a request sent again after a lost connection came from another boot of hostd: the one the
    /// request was for died with it in hand (kill -9, a crash, a reboot), and the new one refuses requests made for
    /// its predecessor (the boot binding, §7.1). Whether the old one acted, in full or in part, no one can say, so
    /// this is a timeout (the outcome is unknown, §8.2) that says what happened, not the new hostd's failure,
    /// which would read as "not done".
    /// </summary>
    private DispatchResult Restarted(AckPdu ack) =>
        Make(AckCode.Timeout, $"{_host.Name} restarted while the request was in flight (hostd boot {_request.BootId:x16}, now {ack.BootId:x16}); " +
            "the old hostd may have acted on it, in full or in part, and the new one does not act on requests made for the old: " +
            "the request may have taken effect; the VM is as the host now reports it (vmmctl vm show)");

    private byte[] Encode(RequestPdu request) => PduCodec.ToBytes(request, _context.Keys.For(_host.Name).Signing);

    // The host's answer as the caller gets it. The event datagram it carries (spec §7.2, state) goes to the inventory
    // first, so that read-your-writes finds the request's effect without waiting for that datagram by UDP; the
    // caller does not see it.
    private DispatchResult Answered(AckPdu ack)
    {
        var results = ack.Results;
        if (results.Find(AttrType.State) is { Opaque: { } datagram })
        {
            _context.Carried(_host.Name, datagram.Bytes);
            results = results.Without(AttrType.State);
        }
        return new(ack.Code, ack.RequestId, ack.Vm, results, ack.Flags, ack.BootId);
    }

    private DispatchResult Make(AckCode code, string message) => Dispatcher.Result(code, Id, _request.Vm, message);
}
