using Vmm.Fuzz.Targets.Internal;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Fuzz.Targets;

public static partial class FuzzTargets
{
    /// <summary>
    /// The cluster key of the datagram target, 00 01 02 ... 1f as in spec/vectors/: the seeds are signed with it.
    /// </summary>
    public static ClusterKey DatagramKey => KeyHolder.Key;

    /// <summary>
    /// Made on first use, not when <see cref="All"/> is read: code of the instrumented Vmm.Protocol.dll must not run
    /// before SharpFuzz has mapped afl's coverage map (it dies with an access violation).
    /// </summary>
    private static class KeyHolder
    {
        public static readonly ClusterKey Key;

        static KeyHolder() => Key = new ClusterKey(Enumerable.Range(0, ClusterKey.Length).Select(i => (byte)i).ToArray());
    }

    /// <summary>
    /// The input as one UDP datagram, as the controller treats it: <see cref="PduFraming.ReadDatagram"/> with the
    /// 1200-byte limit, <see cref="ClusterKey.Authenticate"/> with <see cref="DatagramKey"/>, then the
    /// zero-allocation <see cref="StateView"/> (or <see cref="RequestView"/>, <see cref="AckView"/>) walked to its
    /// last attribute. The fuzzer cannot forge a tag, so the body is decoded whatever authentication says, and the
    /// datagram is also signed with the key to drive the authenticated path.
    /// <para>Oracle: the non-throwing header checks of the fast path agree with the throwing ones; the view and the model (<see cref="PduCodec.Decode(ReadOnlySpan{byte}, int)"/>) accept the same
    /// datagrams and refuse the others with the same code; walking a checked view (records, attribute lists, nested
    /// lists) never throws and yields exactly the model's values; a datagram signed with the key authenticates and
    /// <see cref="PduCodec.Decode(ReadOnlySpan{byte}, ClusterKey, int)"/> gives the model with the new key id and tag;
    /// the model round-trips as in <see cref="Stream"/>.</para>
    /// </summary>
    public static void Datagram(ReadOnlySpan<byte> input)
    {
        Oracle.HeaderChecksAgree(input, PduHeader.MaxDatagram);
        PduHeader header;
        try { header = PduFraming.ReadDatagram(input, PduHeader.MaxDatagram); }
        catch (ProtocolException e)
        {
            Oracle.SoundError(e);
            return;
        }
        Oracle.Check(header.Length == input.Length, "ReadDatagram accepted a datagram that is not exactly one PDU");

        bool authentic;
        try
        {
            DatagramKey.Authenticate(input);
            authentic = true;
        }
        catch (ProtocolException e)
        {
            Oracle.SoundError(e);
            Oracle.Check(e.IsStreamError, $"authentication failed with a PDU error: {e.Code.Name()}");
            authentic = false;
        }

        Pdu? model = null;
        ProtocolException? modelError = null;
        try { model = PduCodec.Decode(input, PduHeader.MaxDatagram); }
        catch (ProtocolException e)
        {
            Oracle.SoundError(e);
            modelError = e;
        }

        ViewWalk.Agrees(header.Type, PduCodec.Body(input), model, modelError);
        Signed(input, model, modelError, authentic);
        if (model is not null) Oracle.RoundTrips(model, input);
    }

    /// <summary>Signs a copy of the datagram and checks the authenticated decode against the unauthenticated one.</summary>
    private static void Signed(ReadOnlySpan<byte> input, Pdu? model, ProtocolException? modelError, bool authentic)
    {
        Span<byte> copy = stackalloc byte[PduHeader.MaxDatagram];
        copy = copy[..input.Length];
        input.CopyTo(copy);
        DatagramKey.Sign(copy);
        Oracle.Check(DatagramKey.Verify(copy), "a datagram just signed does not verify");
        Oracle.Check(!authentic || copy.SequenceEqual(input), "an authentic datagram changed when signed again");
        Pdu signed;
        try { signed = PduCodec.Decode(copy, DatagramKey, PduHeader.MaxDatagram); }
        catch (ProtocolException e)
        {
            Oracle.Check(modelError is not null && e.Code == modelError.Code,
                $"the signed datagram was refused ({e.Code.Name()}: {e.Message}) but unsigned it {(modelError is null ? "decoded" : $"was refused with {modelError.Code.Name()}")}");
            return;
        }
        Oracle.Check(model is not null, $"the signed datagram decoded but unsigned it was refused with {modelError?.Code.Name()}");
        Oracle.Check(signed.KeyId == DatagramKey.Id, "the authenticated decode lost the key id");
        Oracle.Check(signed == model! with { KeyId = signed.KeyId, Tag = signed.Tag }, "the authenticated decode differs from the unauthenticated one");
    }
}
