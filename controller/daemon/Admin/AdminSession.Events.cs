// The events QUERY (spec §7.7): the history's events that match its filters, oldest first, then a RESULT; with
// follow, the events that come after them too, streamed like a watch until the client leaves or falls behind.
using System.IO.Pipelines;
using Vmm.Controller.Events;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Controller.Admin;

internal sealed partial class AdminSession
{
    private async Task<bool> EventsAsync(AdminQueryPdu query, string? host, string? reference, string request, PipeWriter output, CancellationToken stop)
    {
        var events = _server.Inventory.Events;
        var filter = Filter(query.Filters, host, reference, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        if (query.Filters.Number(AttrType.Follow) is { } follow && follow != 0)
        {
            _log.Info("{0}: {1} -> following", _who, request);
            var (follower, held) = events.Follow(filter, _server.Inventory.Options.MaxWatchQueueBytes);
            using (follower)
            {
                await WriteEventsAsync(output, held, stop).ConfigureAwait(false);
                await WatchAsync(output, follower, stop).ConfigureAwait(false);
            }
            return false;
        }
        var found = events.Find(filter);
        await WriteEventsAsync(output, found, stop).ConfigureAwait(false);
        long oldest = events.OldestId, evicted = events.Evicted;
        string message = evicted == 0
            ? $"{found.Count} events; the controller holds every event since it started"
            : $"{found.Count} events; the controller holds events from id {oldest} on: {evicted} older ones were evicted (max-events {events.Capacity})";
        var result = AdminReplies.Result(AckCode.Success, message);
        _log.Info("{0}: {1} -> {2} ({3} events)", _who, request, Names.Of(AckCode.Success), found.Count);
        await WriteAsync(output, result, stop).ConfigureAwait(false);
        return true;
    }

    /// <summary>The filter of an events QUERY at <paramref name="nowMs"/> (Unix ms): since-ms counts back from then.</summary>
    internal static EventFilter Filter(AttrList q, string? host, string? reference, long nowMs)
    {
        long since = q.Number(AttrType.SinceMs) is { } ago ? nowMs - (long)Math.Min(ago, (ulong)nowMs) : 0;
        long after = q.Number(AttrType.AfterEvent) is { } id ? (long)Math.Min(id, long.MaxValue) : 0;
        return new EventFilter(host, reference, since, after);
    }

    private static async Task WriteEventsAsync(PipeWriter output, List<Event> events, CancellationToken stop)
    {
        for (int i = 0; i < events.Count; i++)
        {
            PduCodec.Encode(AdminReplies.Event(events[i]), output);
            if ((i + 1) % FlushEvery == 0) await output.FlushAsync(stop).ConfigureAwait(false);
        }
        // A follower waits for the next event to come: what is held goes out now.
        await output.FlushAsync(stop).ConfigureAwait(false);
    }
}
