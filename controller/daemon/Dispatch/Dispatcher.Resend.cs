// A request sent again by its id (spec §7.4, request-id): the bytes the dispatcher signed the first time, to the
// same hostd endpoint, bound to the same boot. hostd's request-id cache (§7.6) answers with the first ACK, flagged
// replayed, or carries the request out if it never arrived; a hostd that restarted since refuses it as made for
// its predecessor, which is reported as for a restart in flight: timeout, the outcome unknown.
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Controller.Dispatch;

internal sealed partial class Dispatcher
{
    /// <inheritdoc/>
    public RecentRequests Recent { get; }

    RecentRequests? IDispatcher.Recent => Recent;

    /// <inheritdoc/>
    public Task<DispatchResult> ResendAsync(RecentRequest request, CancellationToken cancel)
    {
        var host = request.Host;
        return InSlotAsync(host, request.Code, request.Vm, request.Id, request.Timeout, cancel, async (link, deadline, started) =>
        {
            var flight = new Flight(host, link, new RequestPdu { RequestId = request.Id, BootId = host.BootId, Code = request.Code, Flags = request.Flags, Vm = request.Vm, Parameters = request.Parameters },
                request.Timeout, _context, request.Frame);
            DispatchResult result;
            try
            {
                result = await flight.RunAsync(deadline).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                result = flight.Unanswered(_stopping.IsCancellationRequested);
            }
            if (result.AnsweredBoot != 0 && result.AnsweredBoot != host.BootId) result = Restarted(request, result.AnsweredBoot);
            return Logged(host, request.Code, request.Vm, flight.Sends, started, result);
        });
    }

    /// <summary>
    /// The outcome of sending <paramref name="request"/> again to a hostd that runs boot <paramref name="now"/>, not the
    /// one it was made for: whether the old hostd acted on it no one can say (spec §7.6, a restart in flight).
    /// </summary>
    public static DispatchResult Restarted(RecentRequest request, ulong now) =>
        Result(AckCode.Timeout, request.Id, request.Vm,
            $"{request.Host.Name} restarted since request {request.Id:x16} ({Names.Of(request.Code)}) was sent (hostd boot {request.Host.BootId:x16}, now {now:x16}): " +
            "it cannot be sent again, and whether the old hostd acted on it no one can say; the VM is as the host now reports it (vmmctl vm show)");
}
