using Vmm.Protocol.Internal;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// ACK (type 0x03), host to controller over TCP (spec §7.2).
/// <code>
/// Ack {
///   request_id (64)    // the request answered (0 only when the request was unreadable)
///   boot_id    (64)    // the answering hostd's boot id
///   code       (8)     // ack code registry
///   flags      (8)     // bit 0 replayed, bit 1 unchanged; others 0
///   uuid       (128)   // the VM acted on; for add, the new VM's uuid
///   results    (rest of body)   // attribute list: error-code, message, duration-us, snapshot-name, ...
/// }
/// </code>
/// </summary>
public sealed record AckPdu : Pdu
{
    /// <inheritdoc/>
    public override PduType Type => PduType.Ack;
    /// <summary>Request id answered.</summary>
    public ulong RequestId { get; init; }
    /// <summary>The answering host's boot id.</summary>
    public ulong BootId { get; init; }
    /// <summary>Outcome.</summary>
    public AckCode Code { get; init; }
    /// <summary>Flags.</summary>
    public AckFlags Flags { get; init; }
    /// <summary>The VM acted on.</summary>
    public Guid Vm { get; init; }
    /// <summary>Results.</summary>
    public AttrList Results { get; init => field = value.Frozen(); } = AttrList.Empty;

    /// <summary>Materializes a checked view.</summary>
    public static AckPdu From(in AckView v) => new()
    {
        RequestId = v.RequestId, BootId = v.BootId, Code = v.Code, Flags = v.Flags, Vm = v.Vm,
        Results = AttrCodec.ReadChecked(v.ResultBytes),
    };

    internal override void WriteBody(ref WireWriter w) =>
        Exchange.Write(ref w, RequestId, BootId, (byte)Code, (byte)Flags, Vm, Results);
}

/// <summary>A checked ACK body over its bytes; allocates nothing.</summary>
public readonly ref struct AckView
{
    private readonly Exchange _x;

    private AckView(Exchange x) => _x = x;

    /// <summary>Request id.</summary>
    public ulong RequestId => _x.RequestId;
    /// <summary>The answering host's boot id.</summary>
    public ulong BootId => _x.BootId;
    /// <summary>Ack code.</summary>
    public AckCode Code => (AckCode)_x.Code;
    /// <summary>Flags.</summary>
    public AckFlags Flags => (AckFlags)_x.Flags;
    /// <summary>The VM acted on.</summary>
    public Guid Vm => new(_x.UuidBytes, bigEndian: true);
    /// <summary>The result attribute list.</summary>
    public ReadOnlySpan<byte> ResultBytes => _x.Attributes;
    /// <summary>A reader over the results.</summary>
    public AttrReader Results => AttrReader.OverChecked(_x.Attributes);

    /// <summary>Parses and checks an ACK body.</summary>
    public static AckView Parse(ReadOnlySpan<byte> body) => new(Exchange.Parse(body, "ack", (byte)(AckFlags.Replayed | AckFlags.Unchanged), zeroIdAllowed: true));
}
