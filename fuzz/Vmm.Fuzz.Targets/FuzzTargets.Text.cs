using System.Text;
using Vmm.Fuzz.Targets.Internal;
using Vmm.Protocol;
using Vmm.Protocol.Text;

namespace Vmm.Fuzz.Targets;

public static partial class FuzzTargets
{
    /// <summary>
    /// The input as a line of the text form, as <c>vmmctl pdu encode</c> reads it: UTF-8 (invalid bytes become
    /// U+FFFD, as a TextReader makes them), cut at the first line break, then <see cref="PduText.Parse"/>.
    /// <para>Oracle: Parse refuses only with a <see cref="FormatException"/> whose message is one line. What parses
    /// formats to text that parses back equal and formats the same again. Encoding it may refuse with a
    /// <see cref="ProtocolException"/> (the text form can spell values the wire cannot carry: a name or list too
    /// long, a PDU over 64 KiB); no other exception is acceptable from the encoder: an OverflowException or
    /// ArgumentException would be a codec bug, since vmmctl could only report it as an internal error. The decoder
    /// may refuse what was encoded (the text form does not check the wire's value rules: a zero boot id, a bad
    /// name), again only with a ProtocolException; what it accepts is equal to the parsed PDU and encodes to the
    /// same bytes. What encodes has the size its EncodedSize properties predict.</para>
    /// </summary>
    public static void Text(ReadOnlySpan<byte> input)
    {
        string line = Encoding.UTF8.GetString(input);
        int end = line.AsSpan().IndexOfAny('\r', '\n');
        if (end >= 0) line = line[..end];

        Pdu pdu;
        try { pdu = PduText.Parse(line); }
        catch (FormatException e)
        {
            if (!KnownIssues.IsOpen(KnownIssues.ControlCharacterInTextError)) Oracle.OneLine(e.Message);
            else Oracle.Check(e.Message.Length > 0, "a text-form error with an empty message");
            return;
        }
        Oracle.TextRoundTrips(pdu);

        byte[] bytes;
        try { bytes = PduCodec.ToBytes(pdu); }
        catch (ProtocolException e)
        {
            Oracle.SoundError(e);
            return;
        }
        Oracle.SizesAgree(pdu, bytes.Length);
        Pdu decoded;
        try { decoded = PduCodec.Decode(bytes); }
        catch (ProtocolException e)
        {
            Oracle.SoundError(e);
            return;
        }
        if (decoded != pdu)
            throw new FuzzInvariantException($"decode(encode(p)) != p: {Oracle.Escape(PduText.Format(pdu))} came back as {Oracle.Escape(PduText.Format(decoded))}");
        Oracle.Check(PduCodec.ToBytes(decoded).AsSpan().SequenceEqual(bytes), "encode(decode(encode(p))) != encode(p)");
    }
}
