using System.Diagnostics.CodeAnalysis;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Fuzz.Targets.Internal;

/// <summary>The promises the codec makes (spec §3, §9, §10), checked on whatever the fuzzer feeds it.</summary>
internal static class Oracle
{
    public static void Check([DoesNotReturnIf(false)] bool condition, string what)
    {
        if (!condition) throw new FuzzInvariantException(what);
    }

    /// <summary>A refusal says what was wrong, in one line, with a code from the registry (CONVENTIONS, "Errors").</summary>
    public static void SoundError(ProtocolException e)
    {
        Check(Enum.IsDefined(e.Code), $"ProtocolException with unregistered code {(ushort)e.Code}: {e.Message}");
        OneLine(e.Message);
    }

    /// <summary>Error messages are shown to operators and logged as they are: one line, no control characters.</summary>
    public static void OneLine(string message)
    {
        Check(message.Length > 0, "an error with an empty message");
        foreach (char c in message)
            Check(!char.IsControl(c), $"error message holds control character U+{(int)c:X4}: {Escape(message)}");
    }

    /// <summary>
    /// TryDecode said "need more bytes": that is only true with fewer bytes than a header whose first two bytes,
    /// if present, are the magic, or with a sound header that declares more bytes than there are.
    /// </summary>
    public static void NeedsMore(ReadOnlySpan<byte> rest, int maxLength)
    {
        if (rest.Length < PduHeader.Size)
        {
            Check(rest.Length < 2 || (rest[0] == 0x56 && rest[1] == 0x4D), "need-more-bytes for a partial header with a bad magic");
            return;
        }
        PduHeader header;
        try { header = PduHeader.Parse(rest, maxLength); }
        catch (ProtocolException e) { throw new FuzzInvariantException("need-more-bytes for a header that does not parse", e); }
        Check(rest.Length < header.Length, $"need-more-bytes with {rest.Length} bytes of a {header.Length}-byte PDU");
    }

    /// <summary>
    /// The non-throwing header checks (<see cref="PduHeader.TryParse"/>, <see cref="PduFraming.TryReadDatagram"/>:
    /// the controller's UDP fast path) and the throwing ones are one decision: they accept the same bytes with the
    /// same header and refuse the others with the same code, a stream error.
    /// </summary>
    public static void HeaderChecksAgree(ReadOnlySpan<byte> input, int maxLength)
    {
        bool parsed = PduHeader.TryParse(input, maxLength, out var header, out var fault);
        try
        {
            var thrown = PduHeader.Parse(input, maxLength);
            Check(parsed, $"TryParse refuses ({fault.Name()}) a header Parse accepts");
            Check(thrown == header, $"TryParse reads {header}, Parse {thrown}");
        }
        catch (ProtocolException e)
        {
            Check(!parsed, $"TryParse accepts a header Parse refuses ({e.Code.Name()}: {e.Message})");
            Check(e.Code == fault && e.IsStreamError, $"TryParse refuses with {fault.Name()}, Parse with {e.Code.Name()}: {e.Message}");
        }

        bool framed = PduFraming.TryReadDatagram(input, out var frame, out fault, maxLength);
        try
        {
            var thrown = PduFraming.ReadDatagram(input, maxLength);
            Check(framed, $"TryReadDatagram refuses ({fault.Name()}) a datagram ReadDatagram accepts");
            Check(thrown == frame.Header && frame.Bytes.Length == input.Length, $"TryReadDatagram reads {frame.Header}, ReadDatagram {thrown}");
        }
        catch (ProtocolException e)
        {
            Check(!framed, $"TryReadDatagram accepts a datagram ReadDatagram refuses ({e.Code.Name()}: {e.Message})");
            Check(e.Code == fault && e.IsStreamError, $"TryReadDatagram refuses with {fault.Name()}, ReadDatagram with {e.Code.Name()}: {e.Message}");
        }
    }

    /// <summary>Every strict prefix of a sound frame reads as "need more bytes": a reader never acts on part of a PDU.</summary>
    public static void PrefixesNeedMore(ReadOnlySpan<byte> frame, int maxLength)
    {
        for (int k = 0; k < frame.Length; k = k < 32 ? k + 1 : Math.Max(k + 1, Math.Min(frame.Length - 1, k * 2)))
        {
            bool whole;
            try { whole = PduCodec.TryDecode(frame[..k], out _, out _, maxLength); }
            catch (ProtocolException e) { throw new FuzzInvariantException($"a {k}-byte prefix of a sound {frame.Length}-byte frame was refused", e); }
            Check(!whole, $"a {k}-byte prefix of a {frame.Length}-byte frame decoded as a whole PDU");
        }
    }

    /// <summary>A body refused behind a sound, complete header is a PDU error: the stream lives on (spec §9).</summary>
    public static void BodyErrorIsPduError(ProtocolException e, ReadOnlySpan<byte> stream, int maxLength)
    {
        bool framed;
        try { framed = PduFraming.TryReadFrame(stream, out _, out _, maxLength); }
        catch (ProtocolException) { return; }
        Check(!framed || !e.IsStreamError, $"a body behind a sound header was refused with stream error {e.Code.Name()}: {e.Message}");
    }

    /// <summary>
    /// encode(decode(b)) == b, and the text form round-trips: Parse(Format(p)) == p, and Format is stable.
    /// </summary>
    public static void RoundTrips(Pdu pdu, ReadOnlySpan<byte> frame)
    {
        byte[] bytes;
        try { bytes = PduCodec.ToBytes(pdu); }
        catch (Exception e) { throw new FuzzInvariantException($"a decoded {pdu.Type.Name()} does not encode again: {e.GetType().Name}: {e.Message}", e); }
        if (!bytes.AsSpan().SequenceEqual(frame))
            throw new FuzzInvariantException($"encode(decode(b)) != b for a {pdu.Type.Name()}: decoded {Hex(frame)}, re-encoded {Hex(bytes)}");
        SizesAgree(pdu, bytes.Length);
        TextRoundTrips(pdu);
    }

    /// <summary>The sizes a sender pages STATE by (hostd fills each 1200-byte datagram with them) are the encoded sizes.</summary>
    public static void SizesAgree(Pdu pdu, int encoded)
    {
        switch (pdu)
        {
            case StatePdu s:
                Check(s.EncodedSize == encoded, $"StatePdu.EncodedSize is {s.EncodedSize}, the PDU encodes to {encoded} bytes");
                int records = s.Vms.Sum(vm => vm.EncodedSize);
                Check(s.EncodedSizeWithoutVms == encoded - records,
                    $"StatePdu.EncodedSizeWithoutVms is {s.EncodedSizeWithoutVms}, the PDU without its {records} bytes of records is {encoded - records}");
                break;
            case AdminVmPdu v:
                int record = PduCodec.ToBytes(v with { Attributes = [] }).Length - PduHeader.MinPduSize - 1 - System.Text.Encoding.UTF8.GetByteCount(v.Host);
                Check(v.Vm.EncodedSize == record, $"VmState.EncodedSize is {v.Vm.EncodedSize}, the record encodes to {record} bytes");
                break;
        }
    }

    /// <summary>Parse(Format(p)) == p and Format(Parse(Format(p))) == Format(p).</summary>
    public static void TextRoundTrips(Pdu pdu)
    {
        if (KnownIssues.IsOpen(KnownIssues.FieldNameCollision) && FieldNames.Collide(pdu)) return;
        string text = PduText.Format(pdu);
        Pdu parsed;
        try { parsed = PduText.Parse(text); }
        catch (FormatException e) { throw new FuzzInvariantException($"the text form of a {pdu.Type.Name()} does not parse back ({e.Message}): {Escape(text)}", e); }
        if (parsed != pdu)
            throw new FuzzInvariantException($"Parse(Format(p)) != p for a {pdu.Type.Name()}: {Escape(text)} parsed back as {Escape(PduText.Format(parsed))}");
        string again = PduText.Format(parsed);
        Check(again == text, $"the text form is not stable: {Escape(text)} then {Escape(again)}");
    }

    public static string Hex(ReadOnlySpan<byte> b) =>
        b.Length <= 256 ? Convert.ToHexStringLower(b) : Convert.ToHexStringLower(b[..256]) + $"...({b.Length} bytes)";

    /// <summary>A message quoted safely for an exception message (the fuzzer controls its characters).</summary>
    public static string Escape(string s)
    {
        var sb = new System.Text.StringBuilder(Math.Min(s.Length, 512) + 2);
        foreach (char c in s.Length > 512 ? s[..512] : s)
            sb.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        return sb.ToString();
    }
}
