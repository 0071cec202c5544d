using System.Buffers;
using System.IO.Pipelines;
using Vmm.Protocol.Pdus;

namespace Vmm.Protocol.Tests.Examples;

/// <summary>Encoding into a buffering writer (the admin socket's PipeWriter) holds the PDUs' bytes, not a
/// maximum-sized buffer for each.</summary>
public sealed class BufferWriterTests
{
    /// <summary>A memory pool that counts the bytes it has handed out and not got back.</summary>
    private sealed class CountingPool : MemoryPool<byte>
    {
        public long Outstanding;

        public override int MaxBufferSize => int.MaxValue;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            int size = Math.Max(minBufferSize, 4096);
            Interlocked.Add(ref Outstanding, size);
            return new Owner(this, new byte[size]);
        }

        protected override void Dispose(bool disposing) { }

        private sealed class Owner(CountingPool pool, byte[] array) : IMemoryOwner<byte>
        {
            public Memory<byte> Memory => array;

            public void Dispose() => Interlocked.Add(ref pool.Outstanding, -array.Length);
        }
    }

    [Fact]
    public void A_thousand_small_PDUs_buffered_in_a_pipe_hold_about_their_own_size()
    {
        var pool = new CountingPool();
        var pipe = new Pipe(new PipeOptions(pool, pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
        var pdu = new AdminResultPdu { Code = AckCode.Unavailable, Attributes = new AttrList().Add(AttrType.Message, "the watch ends") };
        int total = 0;
        for (int i = 0; i < 1000; i++) total += PduCodec.Encode(pdu, pipe.Writer);

        Assert.Equal(total, pipe.Writer.UnflushedBytes);
        // Segments of 4 KiB filled one after another: the held memory is the bytes plus at most one segment
        // (a 64 KiB segment per PDU held 64 MB here).
        Assert.InRange(pool.Outstanding, total, total + 2 * 4096);
    }
}
