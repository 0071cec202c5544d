using System.Buffers.Binary;
using Vmm.Fuzz.Targets.Internal;
using Vmm.Protocol;

namespace Vmm.Fuzz.Targets;

public static partial class FuzzTargets
{
    /// <summary>The PDU types <see cref="Admin"/> chooses from with its first byte.</summary>
    public static ReadOnlySpan<byte> AdminTypes =>
    [
        (byte)PduType.AdminQuery, (byte)PduType.AdminSubmit, (byte)PduType.AdminHost, (byte)PduType.AdminVm,
        (byte)PduType.AdminResult, (byte)PduType.Request, (byte)PduType.Ack, (byte)PduType.Error,
    ];

    /// <summary>
    /// A PDU body behind a header the fuzzer need not learn: the first byte picks the type from
    /// <see cref="AdminTypes"/> (modulo its length), the rest is the body. The target wraps it in a sound header
    /// (magic, version 1, flags 0, key id 0, the length) and a zero tag, and decodes it as a stream PDU.
    /// <para>Oracle: the frame decodes as one whole PDU or is refused with a <see cref="ProtocolException"/>; then
    /// the same round trips as <see cref="Stream"/>.</para>
    /// </summary>
    public static void Admin(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        var type = AdminTypes[input[0] % AdminTypes.Length];
        var body = input[1..];
        if (body.Length > PduHeader.MaxStreamPdu - PduHeader.MinPduSize) body = body[..(PduHeader.MaxStreamPdu - PduHeader.MinPduSize)];
        int length = PduHeader.MinPduSize + body.Length;

        var frame = new byte[length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, PduHeader.Magic);
        frame[2] = PduHeader.CurrentVersion;
        frame[3] = type;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(6), (uint)length);
        body.CopyTo(frame.AsSpan(PduHeader.Size));

        Pdu? pdu;
        int consumed;
        try
        {
            bool whole = PduCodec.TryDecode(frame, out pdu, out consumed);
            Oracle.Check(whole && consumed == length, $"a whole {length}-byte frame read as {(whole ? $"{consumed} bytes" : "needing more bytes")}");
        }
        catch (ProtocolException e)
        {
            Oracle.Check(!e.IsStreamError, $"a sound header was refused as a stream error: {e.Code.Name()}: {e.Message}");
            Oracle.SoundError(e);
            return;
        }
        Oracle.RoundTrips(pdu!, frame);
    }
}
