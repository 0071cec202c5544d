// The rows of `make bench`. One category per message and direction, protobuf the baseline of each, so the
// Ratio column reads as "how much faster than protobuf". Rows marked [extra] are not part of the goal
// (3x protobuf, 0 bytes): they show what signing, authenticating and materializing a model cost on top.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Google.Protobuf;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Benchmarks;

[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CodecBenchmarks
{
    /// <summary>The rows the goal applies to: the daemons' hot paths.</summary>
    public static readonly string[] GoalRows =
    [
        nameof(StateEncodeVmm), nameof(StateDecodeVmmView),
        nameof(RequestEncodeVmm), nameof(RequestDecodeVmmView),
        nameof(AckEncodeVmm), nameof(AckDecodeVmmView),
    ];

    private const string StateEncode = "1 STATE enc";
    private const string StateDecode = "2 STATE dec";
    private const string RequestEncode = "3 REQUEST enc";
    private const string RequestDecode = "4 REQUEST dec";
    private const string AckEncode = "5 ACK enc";
    private const string AckDecode = "6 ACK dec";

    private byte[] _buffer = [];
    private ClusterKey _key = null!;

    private StatePdu _state = null!;
    private RequestPdu _request = null!;
    private AckPdu _ack = null!;
    private byte[] _stateBytes = [], _requestBytes = [], _ackBytes = [];
    private byte[] _signedStateBytes = [], _signedRequestBytes = [], _signedAckBytes = [];

    private Proto.State _protoState = null!;
    private Proto.Request _protoRequest = null!;
    private Proto.Ack _protoAck = null!;
    private byte[] _protoStateBytes = [], _protoRequestBytes = [], _protoAckBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        var f = new Fixtures();
        f.Check();
        _buffer = new byte[PduHeader.MaxStreamPdu];
        _key = f.Key;
        (_state, _request, _ack) = (f.State, f.Request, f.Ack);
        (_stateBytes, _requestBytes, _ackBytes) = (f.StateBytes, f.RequestBytes, f.AckBytes);
        (_signedStateBytes, _signedRequestBytes, _signedAckBytes) = (f.SignedStateBytes, f.SignedRequestBytes, f.SignedAckBytes);
        (_protoState, _protoRequest, _protoAck) = (f.ProtoState, f.ProtoRequest, f.ProtoAck);
        (_protoStateBytes, _protoRequestBytes, _protoAckBytes) = (f.ProtoStateBytes, f.ProtoRequestBytes, f.ProtoAckBytes);
    }

    // Encoding: into a preallocated buffer. protobuf's span writer needs the exact size, so it sizes first,
    // as every protobuf encode does.

    private int ProtoEncode(IMessage m)
    {
        int n = m.CalculateSize();
        m.WriteTo(_buffer.AsSpan(0, n));
        return n;
    }

    [BenchmarkCategory(StateEncode), Benchmark(Baseline = true, Description = "protobuf WriteTo(Span)")]
    public int StateEncodeProtobuf() => ProtoEncode(_protoState);

    [BenchmarkCategory(StateEncode), Benchmark(Description = "Vmm Encode")]
    public int StateEncodeVmm() => PduCodec.Encode(_state, _buffer, maxLength: PduHeader.MaxDatagram);

    [BenchmarkCategory(StateEncode), Benchmark(Description = "[extra] Vmm Encode+sign")]
    public int StateEncodeVmmSigned() => PduCodec.Encode(_state, _buffer, _key, PduHeader.MaxDatagram);

    [BenchmarkCategory(RequestEncode), Benchmark(Baseline = true, Description = "protobuf WriteTo(Span)")]
    public int RequestEncodeProtobuf() => ProtoEncode(_protoRequest);

    [BenchmarkCategory(RequestEncode), Benchmark(Description = "Vmm Encode")]
    public int RequestEncodeVmm() => PduCodec.Encode(_request, _buffer);

    [BenchmarkCategory(RequestEncode), Benchmark(Description = "[extra] Vmm Encode+sign")]
    public int RequestEncodeVmmSigned() => PduCodec.Encode(_request, _buffer, _key);

    [BenchmarkCategory(AckEncode), Benchmark(Baseline = true, Description = "protobuf WriteTo(Span)")]
    public int AckEncodeProtobuf() => ProtoEncode(_protoAck);

    [BenchmarkCategory(AckEncode), Benchmark(Description = "Vmm Encode")]
    public int AckEncodeVmm() => PduCodec.Encode(_ack, _buffer);

    [BenchmarkCategory(AckEncode), Benchmark(Description = "[extra] Vmm Encode+sign")]
    public int AckEncodeVmmSigned() => PduCodec.Encode(_ack, _buffer, _key);

    // Decoding. protobuf materializes its message (that is its only way to read); Vmm parses the view, which
    // checks everything, then reads every field (Walk). The model decode is the allocating convenience path.

    [BenchmarkCategory(StateDecode), Benchmark(Baseline = true, Description = "protobuf ParseFrom(Span)")]
    public Proto.State StateDecodeProtobuf() => Proto.State.Parser.ParseFrom(_protoStateBytes.AsSpan());

    [BenchmarkCategory(StateDecode), Benchmark(Description = "Vmm view, read all")]
    public ulong StateDecodeVmmView() => Walk.State(_stateBytes);

    [BenchmarkCategory(StateDecode), Benchmark(Description = "[extra] Vmm auth+view, read all")]
    public ulong StateDecodeVmmViewAuth() => Walk.State(_signedStateBytes, _key);

    [BenchmarkCategory(StateDecode), Benchmark(Description = "[extra] Vmm Decode to model")]
    public Pdu StateDecodeVmmModel() => PduCodec.Decode(_stateBytes, PduHeader.MaxDatagram);

    [BenchmarkCategory(RequestDecode), Benchmark(Baseline = true, Description = "protobuf ParseFrom(Span)")]
    public Proto.Request RequestDecodeProtobuf() => Proto.Request.Parser.ParseFrom(_protoRequestBytes.AsSpan());

    [BenchmarkCategory(RequestDecode), Benchmark(Description = "Vmm view, read all")]
    public ulong RequestDecodeVmmView() => Walk.Request(_requestBytes);

    [BenchmarkCategory(RequestDecode), Benchmark(Description = "[extra] Vmm auth+view, read all")]
    public ulong RequestDecodeVmmViewAuth() => Walk.Request(_signedRequestBytes, _key);

    [BenchmarkCategory(RequestDecode), Benchmark(Description = "[extra] Vmm Decode to model")]
    public Pdu RequestDecodeVmmModel() => PduCodec.Decode(_requestBytes);

    [BenchmarkCategory(AckDecode), Benchmark(Baseline = true, Description = "protobuf ParseFrom(Span)")]
    public Proto.Ack AckDecodeProtobuf() => Proto.Ack.Parser.ParseFrom(_protoAckBytes.AsSpan());

    [BenchmarkCategory(AckDecode), Benchmark(Description = "Vmm view, read all")]
    public ulong AckDecodeVmmView() => Walk.Ack(_ackBytes);

    [BenchmarkCategory(AckDecode), Benchmark(Description = "[extra] Vmm auth+view, read all")]
    public ulong AckDecodeVmmViewAuth() => Walk.Ack(_signedAckBytes, _key);

    [BenchmarkCategory(AckDecode), Benchmark(Description = "[extra] Vmm Decode to model")]
    public Pdu AckDecodeVmmModel() => PduCodec.Decode(_ackBytes);
}
