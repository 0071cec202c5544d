// One request on its way to a host and back (spec §7.6). It is encoded and signed once, so every send carries
// the same id and the same bytes (hostd's request-id cache compares a digest of the body): after a lost
// connection it goes out again on the next one, after busy again after a backoff, until an ACK settles it or
// its deadline, which covers the whole attempt, ends it.
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Dispatch;

/// <summary>The attempts of one request, and what to report when they end without an answer.</summary>
internal sealed class Flight(HostTarget host, HostLink link, ulong id, Guid vm, ReadOnlyMemory<byte> frame, TimeSpan timeout, DispatchContext context)
{
    private readonly DispatchOptions _options = context.Options;
    private int _sends;
    private int _lost;
    private AckPdu? _busy;

    /// <summary>How many times the request was written to a connection.</summary>
    public int Sends => _sends;

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
            var connection = await link.ConnectAsync(deadline).ConfigureAwait(false);
            _busy = null;
            _sends++;
            var ack = await connection.ExchangeAsync(id, frame, deadline).ConfigureAwait(false);
            if (ack is null)
            {
                // It may have reached the host, which acts on it at most once: the same id on the next connection
                // gets the first ACK back. The pause keeps a host that drops every connection from being hammered.
                _lost++;
                context.Log.Debug("request {Id:x16} to {Host}: connection lost, sending it again", id, host.Name);
                await Task.Delay(Backoff.Delay(_lost - 1, _options.ReconnectBackoffInitial, _options.ReconnectBackoffMax), context.Time, deadline).ConfigureAwait(false);
                continue;
            }
            if (_lost > 0 && ack.BootId != host.BootId) return Restarted(ack);
            if (ack.Code != AckCode.Busy) return Answered(ack);
            // Once a connection carrying the request was lost, busy may be this very request still being worked
            // on (§7.6): reporting "busy, try later" would be wrong, so it is asked again until the deadline.
            if (_lost == 0 && busyAnswers >= _options.BusyRetries) return Answered(ack);
            _busy = ack;
            var pause = Backoff.Delay(busyAnswers++, _options.BusyBackoffInitial, _options.BusyBackoffMax);
            context.Log.Debug("request {Id:x16} to {Host}: busy ({Message}), asking again in {Ms} ms",
                id, host.Name, ack.Results.Text(AttrType.Message) ?? "no message", (long)pause.TotalMilliseconds);
            await Task.Delay(pause, context.Time, deadline).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The outcome of a request its deadline (or the dispatcher's stop) ended: unavailable when it never left,
    /// the host's own busy when that was its last word, otherwise timeout, as its outcome is unknown (§8.2).
    /// </summary>
    public DispatchResult Unanswered(bool stopping)
    {
        string seconds = DispatchOptions.Seconds(timeout);
        string peer = $"{host.Name} ({host.Endpoint})";
        const string mayTakeEffect = "; the request may still take effect";
        if (stopping)
            return _sends == 0
                ? Make(AckCode.Unavailable, $"not sent to {peer}: the controller is stopping")
                : Make(AckCode.Timeout, $"the controller stopped before {host.Name} answered" + mayTakeEffect);
        if (_sends == 0)
            return Make(AckCode.Unavailable, $"{peer} is unreachable: {link.LastError ?? $"no connection within {seconds} s"}");
        if (_busy is not null)
            return _lost == 0
                ? Answered(_busy)
                : Make(AckCode.Timeout, $"{host.Name} still answered busy after {seconds} s, which may be this request in progress after a lost connection" + mayTakeEffect);
        if (_lost > 0 && link.LastError is { } error)
            return Make(AckCode.Timeout, $"no answer from {host.Name} within {seconds} s: the connection was lost and reconnecting failed ({error})" + mayTakeEffect);
        return Make(AckCode.Timeout, $"no answer from {host.Name} within {seconds} s" + mayTakeEffect);
    }

    /// <summary>
    /// The answer to a request sent again after a lost connection came from another boot of hostd: the one the
    /// request was for died with it in hand (kill -9, a crash, a reboot), and the new one refuses requests made for
    /// its predecessor (the boot binding, §7.1). Whether the old one acted, in full or in part, no one can say, so
    /// this is a timeout (the outcome is unknown, §8.2) that says what happened, not the new hostd's failure,
    /// which would read as "not done".
    /// </summary>
    private DispatchResult Restarted(AckPdu ack) =>
        Make(AckCode.Timeout, $"{host.Name} restarted while the request was in flight (hostd boot {host.BootId:x16}, now {ack.BootId:x16}); " +
            "the old hostd may have acted on it, in full or in part, and the new one does not act on requests made for the old: " +
            "the request may have taken effect; the VM is as the host now reports it (vmmctl vm show)");

    private static DispatchResult Answered(AckPdu ack) => new(ack.Code, ack.RequestId, ack.Vm, ack.Results, ack.Flags, ack.BootId);

    private DispatchResult Make(AckCode code, string message) => Dispatcher.Result(code, id, vm, message);
}
