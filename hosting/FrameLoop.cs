// The read side of every Vmm stream (hostd's request listener, the controller's connections to hosts,
// the admin socket): PDUs delimited by their header (spec §3.4), the declared length checked before
// anything is buffered, each whole PDU handed over as one contiguous frame with its header parsed once, here.
using System.Buffers;
using System.IO.Pipelines;
using Vmm.Protocol;

namespace Vmm.Hosting;

/// <summary>Receives one whole PDU, its header checked. The frame is valid only during the call.</summary>
public delegate void FrameHandler(PduFrame frame);

/// <summary>Reads PDUs from a stream until it ends.</summary>
public static class FrameLoop
{
    /// <summary>
    /// Reads frames from <paramref name="reader"/> and passes each to <paramref name="onFrame"/>, in order,
    /// until the peer closes (returns normally) or <paramref name="stop"/> is cancelled. A bad header throws
    /// the <see cref="ProtocolException"/> (a stream error: the caller sends ERROR and closes); so does a
    /// stream that ends inside a PDU. <paramref name="beforeRead"/>, when given, is awaited before each read
    /// from the stream: a reader that must not take more for now (its answers are not being read) waits there,
    /// and the peer, its data unread, is held back by TCP.
    /// </summary>
    public static async Task RunAsync(PipeReader reader, FrameHandler onFrame, CancellationToken stop, int maxLength = PduHeader.MaxStreamPdu,
        Func<CancellationToken, ValueTask>? beforeRead = null)
    {
        byte[]? scratch = null;
        try
        {
            while (true)
            {
                if (beforeRead is not null) await beforeRead(stop).ConfigureAwait(false);
                var read = await reader.ReadAsync(stop).ConfigureAwait(false);
                var buffer = read.Buffer;
                var consumed = buffer.Start;
                var examined = buffer.End;
                try
                {
                    while (TryTake(ref buffer, onFrame, maxLength, ref scratch)) consumed = buffer.Start;
                    if (read.IsCompleted || read.IsCanceled)
                    {
                        if (!buffer.IsEmpty)
                            throw new ProtocolException(ProtocolErrorCode.Truncated,
                                $"the stream ended inside a PDU ({buffer.Length} bytes of it received)");
                        return;
                    }
                }
                finally
                {
                    reader.AdvanceTo(consumed, examined);
                }
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    // One PDU off the front of the buffer, if it is all there. A PDU split over segments is copied into
    // a pooled scratch buffer once; the usual case (one segment) is handed over in place.
    private static bool TryTake(ref ReadOnlySequence<byte> buffer, FrameHandler onFrame, int maxLength, ref byte[]? scratch)
    {
        if (buffer.IsEmpty) return false;
        ReadOnlySpan<byte> head = buffer.FirstSpan;
        if (buffer.Length < PduHeader.Size)
        {
            // Not a whole header yet; a bad magic is refused from its first two bytes all the same.
            PduFraming.TryReadFrame(head, out _, out _, maxLength);
            return false;
        }
        Span<byte> h = stackalloc byte[PduHeader.Size];
        buffer.Slice(0, PduHeader.Size).CopyTo(h);
        var header = PduHeader.Parse(h, maxLength);
        int length = header.Length;
        if (buffer.Length < length) return false;
        if (head.Length >= length)
        {
            onFrame(new PduFrame(header, head[..length]));
            buffer = buffer.Slice(length);
            return true;
        }
        return TakeCopied(ref buffer, header, onFrame, ref scratch);
    }

    private static bool TakeCopied(ref ReadOnlySequence<byte> buffer, PduHeader header, FrameHandler onFrame, ref byte[]? scratch)
    {
        int length = header.Length;
        if (scratch is null || scratch.Length < length)
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
            scratch = ArrayPool<byte>.Shared.Rent(length);
        }
        buffer.Slice(0, length).CopyTo(scratch);
        onFrame(new PduFrame(header, scratch.AsSpan(0, length)));
        buffer = buffer.Slice(length);
        return true;
    }
}
