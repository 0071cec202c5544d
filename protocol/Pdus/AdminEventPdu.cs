using Vmm.Protocol.Internal;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// EVENT (type 0x15), controller to vmmctl (spec §7.7): one event of the controller's history, the answer to an
/// events QUERY (one PDU an event, then a RESULT; with follow, more as they happen).
/// <code>
/// Event {
///   id         (64)    // 1, 2, ... in the order recorded, per controller run
///   time_ms    (64)    // Unix time, ms, when the controller recorded it
///   kind       (8)     // 1 host, 2 vm, 3 vm-removed, 4 request, 5 decision
///   uuid       (128)   // the VM; 0 when none
///   attributes (rest of body)   // host, name, host-state, last-power, last-code, last-ack, request-id,
///                               // duration-us, uid, message, note
/// }
/// </code>
/// </summary>
public sealed record AdminEventPdu : Pdu
{
    /// <inheritdoc/>
    public override PduType Type => PduType.AdminEvent;
    /// <summary>The event's id: 1, 2, ... in the order the controller recorded them.</summary>
    public ulong Id { get; init; }
    /// <summary>Unix time in ms when it was recorded.</summary>
    public ulong TimeMs { get; init; }
    /// <summary>What it records.</summary>
    public EventKind Kind { get; init; }
    /// <summary>The VM it concerns, or empty.</summary>
    public Guid Vm { get; init; }
    /// <summary>Attributes.</summary>
    public AttrList Attributes { get; init => field = value.Frozen(); } = AttrList.Empty;

    internal static AdminEventPdu Read(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        return new AdminEventPdu
        {
            Id = r.U64("event id"),
            TimeMs = r.U64("event time_ms"),
            Kind = (EventKind)r.U8("event kind"),
            Vm = new Guid(r.Bytes(16, "event uuid"), bigEndian: true),
            Attributes = AttrCodec.Read(r.Rest()),
        };
    }

    internal override void WriteBody(ref WireWriter w)
    {
        w.U64(Id);
        w.U64(TimeMs);
        w.U8((byte)Kind);
        w.Uuid(Vm);
        AttrCodec.Write(ref w, Attributes);
    }
}
