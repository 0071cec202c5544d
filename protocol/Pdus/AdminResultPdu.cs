using Vmm.Protocol.Internal;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// RESULT (type 0x14), controller to vmmctl (spec §7.5): the end of every reply, with its outcome.
/// <code>
/// Result {
///   code       (8)     // ack code registry, including the controller's 5-7
///   request_id (64)    // the request the controller sent for a SUBMIT; 0 otherwise
///   uuid       (128)   // the VM acted on; 0 when none
///   attributes (rest of body)   // message, error-code, host, snapshot-name, ...
/// }
/// </code>
/// </summary>
public sealed record AdminResultPdu : Pdu
{
    /// <inheritdoc/>
    public override PduType Type => PduType.AdminResult;
    /// <summary>Outcome.</summary>
    public AckCode Code { get; init; }
    /// <summary>The request id used towards the host, or 0.</summary>
    public ulong RequestId { get; init; }
    /// <summary>The VM acted on, or empty.</summary>
    public Guid Vm { get; init; }
    /// <summary>Attributes.</summary>
    public AttrList Attributes { get; init => field = value.Frozen(); } = AttrList.Empty;

    internal static AdminResultPdu Read(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        return new AdminResultPdu
        {
            Code = (AckCode)r.U8("result code"),
            RequestId = r.U64("result request_id"),
            Vm = new Guid(r.Bytes(16, "result uuid"), bigEndian: true),
            Attributes = AttrCodec.Read(r.Rest()),
        };
    }

    internal override void WriteBody(ref WireWriter w)
    {
        w.U8((byte)Code);
        w.U64(RequestId);
        w.Uuid(Vm);
        AttrCodec.Write(ref w, Attributes);
    }
}
