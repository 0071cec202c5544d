using System.Buffers;
using System.Buffers.Binary;
using Vmm.Protocol.Internal;
using Vmm.Protocol.Pdus;

namespace Vmm.Protocol;

/// <summary>
/// Encodes and decodes whole PDUs to and from their model (spec §3-§7). For the zero-allocation paths of the
/// daemons, see the views (<see cref="StateView"/>, <see cref="RequestView"/>, <see cref="AckView"/>).
/// </summary>
public static class PduCodec
{
    /// <summary>
    /// Encodes <paramref name="pdu"/> into <paramref name="dest"/> and returns its length. With a key the PDU is
    /// signed; without one the model's key id and tag are written as they are (zero for an unsigned PDU).
    /// Throws TooLarge when the PDU exceeds <paramref name="maxLength"/> or the span.
    /// </summary>
    public static int Encode(Pdu pdu, Span<byte> dest, ClusterKey? key = null, int maxLength = PduHeader.MaxStreamPdu)
    {
        var w = new WireWriter(dest, Math.Min(dest.Length, maxLength) - PduHeader.TagSize);
        PduHeader.Write(w.Take(PduHeader.Size), pdu.Type, pdu.KeyId, 0);
        pdu.WriteBody(ref w);
        return w.Finish(key, pdu.Tag);
    }

    /// <summary>
    /// Encodes into a buffer writer, which is asked for exactly the PDU's length. (Asking it for
    /// <paramref name="maxLength"/> would make a buffering writer, such as a PipeWriter, start a new 64 KiB
    /// segment for every small PDU: a stream of changes to a slow reader then held 64 KiB per PDU.) The PDU is
    /// encoded into a pooled scratch buffer first.
    /// </summary>
    public static int Encode(Pdu pdu, IBufferWriter<byte> output, ClusterKey? key = null, int maxLength = PduHeader.MaxStreamPdu)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(maxLength);
        try
        {
            int n = Encode(pdu, scratch, key, maxLength);
            output.Write(scratch.AsSpan(0, n));
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Encodes into a new array.</summary>
    public static byte[] ToBytes(Pdu pdu, ClusterKey? key = null, int maxLength = PduHeader.MaxStreamPdu)
    {
        var buf = ArrayPool<byte>.Shared.Rent(maxLength);
        try { return buf.AsSpan(0, Encode(pdu, buf, key, maxLength)).ToArray(); }
        finally { ArrayPool<byte>.Shared.Return(buf); }
    }

    /// <summary>
    /// Decodes the first PDU of a stream buffer. False: more bytes are needed. Throws
    /// <see cref="ProtocolException"/> for a bad header (before the body is buffered) or a bad body.
    /// The tag is not checked here: call <see cref="ClusterKey.Authenticate"/> on the frame first.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> stream, out Pdu? pdu, out int consumed, int maxLength = PduHeader.MaxStreamPdu)
    {
        pdu = null;
        if (!PduFraming.TryReadFrame(stream, out var header, out consumed, maxLength)) return false;
        pdu = DecodeFrame(header, stream[..consumed]);
        return true;
    }

    /// <summary>Decodes a buffer that must hold exactly one PDU of at most <paramref name="maxLength"/> bytes.</summary>
    public static Pdu Decode(ReadOnlySpan<byte> pdu, int maxLength = PduHeader.MaxStreamPdu) =>
        DecodeFrame(PduFraming.ReadDatagram(pdu, maxLength), pdu);

    /// <summary>Authenticates then decodes one complete PDU.</summary>
    public static Pdu Decode(ReadOnlySpan<byte> pdu, ClusterKey key, int maxLength = PduHeader.MaxStreamPdu)
    {
        var header = PduFraming.ReadDatagram(pdu, maxLength);
        key.Authenticate(pdu);
        return DecodeFrame(header, pdu);
    }

    /// <summary>Authenticates (with either key of the ring) then decodes one complete PDU.</summary>
    public static Pdu Decode(ReadOnlySpan<byte> pdu, KeyRing keys, int maxLength = PduHeader.MaxStreamPdu)
    {
        var header = PduFraming.ReadDatagram(pdu, maxLength);
        keys.Authenticate(pdu);
        return DecodeFrame(header, pdu);
    }

    /// <summary>Decodes a frame whose header a frame reader checked already. The tag is not checked.</summary>
    public static Pdu Decode(in PduFrame frame) => DecodeFrame(frame.Header, frame.Bytes);

    /// <summary>Authenticates (with either key of the ring) then decodes a frame whose header a frame reader checked already.</summary>
    public static Pdu Decode(in PduFrame frame, KeyRing keys)
    {
        keys.Authenticate(frame.Bytes);
        return DecodeFrame(frame.Header, frame.Bytes);
    }

    /// <summary>The body of a complete frame: between header and tag.</summary>
    public static ReadOnlySpan<byte> Body(ReadOnlySpan<byte> frame) => frame[PduHeader.Size..^PduHeader.TagSize];

    private static Pdu DecodeFrame(PduHeader header, ReadOnlySpan<byte> frame)
    {
        var body = Body(frame);
        Pdu pdu = header.Type switch
        {
            PduType.State => StatePdu.From(StateView.Parse(body)),
            PduType.Request => RequestPdu.From(RequestView.Parse(body)),
            PduType.Ack => AckPdu.From(AckView.Parse(body)),
            PduType.Error => ErrorPdu.Read(body),
            PduType.Usage => UsagePdu.From(UsageView.Parse(body)),
            PduType.AdminQuery => AdminQueryPdu.Read(body),
            PduType.AdminSubmit => AdminSubmitPdu.Read(body),
            PduType.AdminHost => AdminHostPdu.Read(body),
            PduType.AdminVm => AdminVmPdu.Read(body),
            PduType.AdminResult => AdminResultPdu.Read(body),
            PduType.AdminEvent => AdminEventPdu.Read(body),
            _ => throw new ProtocolException(ProtocolErrorCode.UnknownType, $"unknown PDU type 0x{(byte)header.Type:x2}"),
        };
        return pdu with { KeyId = header.KeyId, Tag = BinaryPrimitives.ReadUInt128BigEndian(frame[^PduHeader.TagSize..]) };
    }
}
