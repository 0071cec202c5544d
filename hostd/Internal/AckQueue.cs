// The PDUs one connection has to send (ACKs, and maybe a last ERROR), encoded as they are queued so that
// what a peer makes hostd hold is counted in bytes. A peer that pipelines requests and never reads its
// ACKs is not answered into unbounded memory: once more than max-queued-ack-bytes wait, the connection's
// reader stops taking requests (TCP then pushes back on the peer) until the writer has drained half of it.
// Two buffers take turns, one filling while the other is written, so a steady connection allocates nothing.
using System.Buffers;
using System.Threading.Channels;
using Vmm.Protocol;

namespace Vmm.Hostd.Internal;

/// <summary>One connection's outgoing PDUs. Thread-safe: requests finish on any thread.</summary>
internal sealed class AckQueue(KeyRing keys, int maxBytes, TransportCounters counters)
{
    // Buffers grown past this by a burst are let go once drained, so an idle connection holds little.
    private const int KeepCapacity = 16 * 1024;

    private readonly Lock _gate = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private ArrayBufferWriter<byte> _queued = new(256), _writing = new(256);
    private bool _final, _closed;
    private TaskCompletionSource? _room;

    /// <summary>Bytes queued or being written now.</summary>
    public int Bytes { get { lock (_gate) return _queued.WrittenCount + _writing.WrittenCount; } }

    /// <summary>Queues <paramref name="pdu"/>; dropped when the queue is closed or ends with an ERROR already.</summary>
    public void Enqueue(Pdu pdu) => Add(pdu, final: false);

    /// <summary>Queues the last PDU the connection sends (an ERROR before the close); later ones are dropped.</summary>
    public void EnqueueLast(Pdu pdu) => Add(pdu, final: true);

    /// <summary>Nothing more is queued: the writer ends once what is queued is written.</summary>
    public void Complete() => _wake.Writer.TryComplete();

    /// <summary>Completes at once while at most max bytes wait; otherwise once the writer has drained half.</summary>
    public ValueTask WaitForRoomAsync(CancellationToken cancel)
    {
        Task room;
        lock (_gate)
        {
            if (_closed || _queued.WrittenCount + _writing.WrittenCount <= maxBytes) return ValueTask.CompletedTask;
            room = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
        Interlocked.Increment(ref counters.ReadPauses);
        return new ValueTask(room.WaitAsync(cancel));
    }

    /// <summary>Writes batches to <paramref name="stream"/> until completed and drained, or a last PDU is
    /// written; throws what the stream throws (the peer is gone), after which nothing more is held.</summary>
    public async Task WriteToAsync(Stream stream)
    {
        try
        {
            while (true)
            {
                bool more = await _wake.Reader.WaitToReadAsync().ConfigureAwait(false);
                _wake.Reader.TryRead(out _);
                while (TakeBatch(out var batch, out bool last))
                {
                    await stream.WriteAsync(batch).ConfigureAwait(false);
                    Written();
                    if (last) return;
                }
                if (!more) return;
            }
        }
        finally
        {
            Close();
        }
    }

    private void Add(Pdu pdu, bool final)
    {
        lock (_gate)
        {
            if (_final || _closed) return;
            int before = _queued.WrittenCount;
            PduCodec.Encode(pdu, _queued, keys.Signing);
            _final = final;
            int added = _queued.WrittenCount - before;
            Interlocked.Add(ref counters.QueuedAckBytes, added);
            long total = _queued.WrittenCount + _writing.WrittenCount;
            for (long peak = Volatile.Read(ref counters.QueuedAckBytesPeak); total > peak;
                 peak = Volatile.Read(ref counters.QueuedAckBytesPeak))
                if (Interlocked.CompareExchange(ref counters.QueuedAckBytesPeak, total, peak) == peak) break;
        }
        _wake.Writer.TryWrite(true);
    }

    // The queued bytes become the batch being written; the drained buffer takes their place.
    private bool TakeBatch(out ReadOnlyMemory<byte> batch, out bool last)
    {
        lock (_gate)
        {
            batch = default;
            last = false;
            if (_queued.WrittenCount == 0) return false;
            (_queued, _writing) = (_writing, _queued);
            batch = _writing.WrittenMemory;
            last = _final;
            return true;
        }
    }

    private void Written()
    {
        TaskCompletionSource? room = null;
        lock (_gate)
        {
            Interlocked.Add(ref counters.QueuedAckBytes, -_writing.WrittenCount);
            if (_writing.Capacity > KeepCapacity) _writing = new ArrayBufferWriter<byte>(256);
            else _writing.ResetWrittenCount();
            if (_room is not null && _queued.WrittenCount <= maxBytes / 2) (room, _room) = (_room, null);
        }
        room?.TrySetResult();
    }

    // The writer is done (the peer is gone, or the queue ended): what is held is let go, and a reader
    // waiting for room goes on to find the connection closed.
    private void Close()
    {
        TaskCompletionSource? room;
        lock (_gate)
        {
            _closed = true;
            Interlocked.Add(ref counters.QueuedAckBytes, -(_queued.WrittenCount + _writing.WrittenCount));
            _queued = new ArrayBufferWriter<byte>(1);
            _writing = new ArrayBufferWriter<byte>(1);
            (room, _room) = (_room, null);
        }
        room?.TrySetResult();
    }
}
