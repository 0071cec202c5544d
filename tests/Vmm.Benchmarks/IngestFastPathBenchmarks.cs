// The front of the controller's UDP fast path (DatagramGate.Authenticate, before its one HMAC): is this a
// well-framed STATE, and which host does it name? Issue 15 moved the header check into protocol/
// (PduFraming.TryReadDatagram, which also checks the type against the registry); the baseline row is the
// hand-written check it replaced, kept here only to measure against. Both must allocate nothing.
//   dotnet run -c Release --project tests/Vmm.Benchmarks -- --filter '*Ingest*'
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Benchmarks;

[MemoryDiagnoser]
[BenchmarkCategory(Category)]
public class IngestFastPathBenchmarks
{
    private const string Category = "7 UDP gate";

    private byte[] _datagram = [];

    [GlobalSetup]
    public void Setup() => _datagram = new Fixtures().SignedStateBytes;

    [Benchmark(Baseline = true, Description = "hand-written header check (before)")]
    public int HandWritten()
    {
        ReadOnlySpan<byte> d = _datagram;
        bool framed = d.Length is >= PduHeader.MinPduSize and <= PduHeader.MaxDatagram
            && d[0] == 0x56 && d[1] == 0x4D && d[2] == PduHeader.CurrentVersion && d[3] == (byte)PduType.State && d[4] == 0
            && BinaryPrimitives.ReadUInt32BigEndian(d[6..]) == (uint)d.Length;
        return framed && StateView.TryPeekHost(PduCodec.Body(d), out var host) ? host.Length + d[5] : -1;
    }

    [Benchmark(Description = "PduFraming.TryReadDatagram (after)")]
    public int Codec()
    {
        ReadOnlySpan<byte> d = _datagram;
        return PduFraming.TryReadDatagram(d, out var frame, out _) && frame.Type == PduType.State
            && StateView.TryPeekHost(frame.Body, out var host) ? host.Length + frame.KeyId : -1;
    }
}
