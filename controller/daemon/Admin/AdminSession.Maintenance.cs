// The maintenance queries of an admin connection (spec §7.4): drain, whose progress is written as it comes, and
// undrain. Kept apart from AdminSession.cs, which serves every other query the same way.
using System.IO.Pipelines;
using System.Net.Sockets;
using Vmm.Controller.Events;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Controller.Admin;

internal sealed partial class AdminSession
{
    /// <summary>QUERY drain or undrain of <paramref name="host"/>: answered with one RESULT (after a drain's progress).</summary>
    private async Task<bool> MaintainAsync(AdminQueryPdu query, string? host, string request, PipeWriter output, CancellationToken stop)
    {
        AdminResultPdu result;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (host is null)
            result = AdminReplies.Result(AckCode.Failure, $"{Names.Of(query.What)} needs host: the host to {Names.Of(query.What)}");
        else if (query.What == QueryKind.Undrain)
            result = await _server.Drains.MarkAsync(host, draining: false, stop).ConfigureAwait(false);
        else
        {
            _log.Info("{0}: {1} -> draining", _who, request);
            result = await DrainAsync(query, host, output, stop).ConfigureAwait(false);
        }
        _log.Info("{0}: {1} -> {2}", _who, request, PduText.Format(result));
        // A drain or undrain is a request of its caller, recorded as the drain request it sends the host (spec §7.7).
        _server.Inventory.Events.Record(new Event(EventKind.Request, host, Value: (byte)RequestCode.Drain, Ack: result.Code, Uid: _uid,
            DurationUs: (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds,
            Text: $"{Names.Of(query.What)}: {result.Attributes.Text(AttrType.Message) ?? Names.Of(result.Code)}"));
        if (stop.IsCancellationRequested)
        {
            // The controller stops: this RESULT is the client's last.
            await WriteLastAsync(output, result).ConfigureAwait(false);
            return false;
        }
        await WriteAsync(output, result, stop).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// QUERY drain (spec §7.4): the drain's HOST and VM PDUs are written as they come. A client that went away does not
    /// end the drain (its migrations are not abandoned halfway): what is left to write goes nowhere.
    /// </summary>
    private async Task<AdminResultPdu> DrainAsync(AdminQueryPdu query, string host, PipeWriter output, CancellationToken stop)
    {
        bool gone = false;
        int? parallel = query.Filters.Number(AttrType.Parallel) is { } p ? (int)p : null;
        try
        {
            return await _server.Drains.DrainAsync(host, parallel, _who, _uid, async pdu =>
            {
                if (gone) return;
                try
                {
                    await WriteAsync(output, pdu, stop).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
                {
                    gone = true;
                    _log.Info("{0}: the client left during the drain of {1}; the drain goes on", _who, host);
                }
            }, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return AdminReplies.Result(AckCode.Timeout, $"the controller stopped during the drain of {host}; migrations in flight may still complete; the host stays marked draining");
        }
    }
}
