// A watch (spec §7.4) and an events QUERY with follow (spec §7.7): changes, or events, streamed from a Watcher's
// bounded queue as they come, written only while the socket has room, and ended with RESULT unavailable when the
// client fell a whole queue behind. Kept apart from AdminSession.cs, which reads and answers the PDUs.
using System.IO.Pipelines;
using System.Net.Sockets;
using Vmm.Controller.Events;
using Vmm.Controller.Inventory;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Admin;

internal sealed partial class AdminSession
{
    /// <summary>
    /// Streams every change until the client leaves, the controller stops, or the watch falls a whole queue
    /// behind: then it ends with RESULT unavailable, so the client knows it missed changes (spec §7.4). Changes
    /// are written only while the socket has room for them and the RESULT (<see cref="RoomAsync"/>), so even a
    /// client that stopped reading (a paused vmmctl) finds the RESULT after the changes it missed; a write that
    /// still stalls gives up after <see cref="AdminOptions.LastAnswerLimit"/>. Changes are encoded as they are
    /// taken from the queue, at most <see cref="WatchFlushBytes"/> a flush, so what waits for the socket is bounded too.
    /// </summary>
    private async Task WatchAsync(PipeWriter output, Watcher watcher, CancellationToken stop)
    {
        var watchers = _server.Inventory.Watchers;
        using var writes = new CancellationTokenSource();
        using var onStop = stop.UnsafeRegister(s => ((CancellationTokenSource)s!).CancelAfter(LastAnswerLimit), writes);
        using var onDrop = watcher.Dropped.UnsafeRegister(s => ((CancellationTokenSource)s!).CancelAfter(LastAnswerLimit), writes);
        string why;
        try
        {
            while (await watcher.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                // Changes go to the socket only while it has room for them and for the RESULT that may end the
                // watch: a client that stopped reading leaves them in the bounded queue, and when that overflows,
                // its RESULT still fits, to be read after what came before (spec §7.4).
                await RoomAsync(watcher, stop).ConfigureAwait(false);
                while (output.UnflushedBytes < WatchFlushBytes && watcher.TryRead(out var change))
                {
                    Pdu pdu = change switch
                    {
                        HostChange h => AdminReplies.Host(h.View, h.Note),
                        VmChange v => AdminReplies.Vm(v.View, v.Note),
                        EventChange e => AdminReplies.Event(e.Event),
                        _ => throw new InvalidOperationException("unknown inventory change"),
                    };
                    PduCodec.Encode(pdu, output);
                }
                await output.FlushAsync(writes.Token).ConfigureAwait(false);
            }
            return;
        }
        catch (WatcherOverflowException e)
        {
            _log.Warn("{0}: watch dropped: {1} ({2} watches dropped so far)", _who, e.Message, watchers.Overflows);
            why = e.Message;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !writes.IsCancellationRequested)
        {
            // A watch ends only with a RESULT (spec §7.4): this one says why, so that the client does not take
            // the closed connection for a crash.
            why = "the controller is stopping: the watch ends";
        }
        catch (OperationCanceledException) when (writes.IsCancellationRequested)
        {
            _log.Warn("{0}: watch closed: the client took nothing for {1} s after its watch had to end", _who, LastAnswerLimit.TotalSeconds);
            return;
        }
        try
        {
            await WriteAsync(output, AdminReplies.Result(AckCode.Unavailable, why), writes.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _log.Warn("{0}: watch closed without its RESULT: the client took nothing for {1} s", _who, LastAnswerLimit.TotalSeconds);
        }
    }

    /// <summary>
    /// Waits until the socket is writable, which for a Unix stream socket means at least three quarters of its send
    /// buffer is free (the kernel's rule): a batch of <see cref="WatchFlushBytes"/> then fits, and leaves room for a
    /// RESULT. Returns early when the watch is dropped, whose RESULT is due.
    /// </summary>
    private async Task RoomAsync(Watcher watcher, CancellationToken stop)
    {
        while (!watcher.Dropped.IsCancellationRequested && !_socket.Poll(0, SelectMode.SelectWrite))
            await Task.Delay(RoomPoll, stop).ConfigureAwait(false);
    }

    // How often a watch whose client does not read checks for room; only while its queue fills.
    private static readonly TimeSpan RoomPoll = TimeSpan.FromMilliseconds(20);
}
