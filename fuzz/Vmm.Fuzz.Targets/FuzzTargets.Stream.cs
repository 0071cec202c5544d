using Vmm.Fuzz.Targets.Internal;
using Vmm.Protocol;

namespace Vmm.Fuzz.Targets;

public static partial class FuzzTargets
{
    /// <summary>
    /// The input as the bytes of a TCP stream: <see cref="PduCodec.TryDecode"/> in a loop, as a connection's reader
    /// runs it, consuming PDUs until it needs more bytes or refuses the stream with a <see cref="ProtocolException"/>.
    /// <para>Oracle: the non-throwing header checks agree with the throwing ones on the input. For every PDU decoded: its frame re-encodes to exactly the same bytes (the tag is carried in the
    /// model), as many as its EncodedSize properties say (STATE, VM records); its text form parses back to an equal
    /// PDU and formats the same again; every prefix of its frame reads as "need more bytes", never as a PDU or an
    /// error. "Need more bytes" comes only with a sound header or fewer bytes than a header. Every refusal carries a
    /// registered code and a one-line message, and a refusal of a body behind a sound header is a PDU error (the
    /// stream lives on), never a stream error.</para>
    /// </summary>
    public static void Stream(ReadOnlySpan<byte> input)
    {
        Oracle.HeaderChecksAgree(input, PduHeader.MaxStreamPdu);
        var rest = input;
        while (true)
        {
            Pdu? pdu;
            int consumed;
            try
            {
                if (!PduCodec.TryDecode(rest, out pdu, out consumed))
                {
                    Oracle.NeedsMore(rest, PduHeader.MaxStreamPdu);
                    return;
                }
            }
            catch (ProtocolException e)
            {
                Oracle.SoundError(e);
                Oracle.BodyErrorIsPduError(e, rest, PduHeader.MaxStreamPdu);
                return;
            }
            var frame = rest[..consumed];
            Oracle.Check(consumed >= PduHeader.MinPduSize && pdu is not null, "TryDecode returned true without a whole PDU");
            Oracle.PrefixesNeedMore(frame, PduHeader.MaxStreamPdu);
            Oracle.RoundTrips(pdu!, frame);
            rest = rest[consumed..];
        }
    }
}
