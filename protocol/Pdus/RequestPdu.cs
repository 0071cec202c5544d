using Vmm.Protocol.Internal;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// REQUEST (type 0x02), controller to host over TCP (spec §7.1). The parameters of each code are in spec §8.1.
/// <code>
/// Request {
///   request_id (64)    // unique per controller, never reused, never 0
///   boot_id    (64)    // the target hostd's boot id; 0 only for ping
///   code       (8)     // request code registry
///   flags      (8)     // bit 0 force; others 0
///   uuid       (128)   // target VM; for add, the uuid to give (0: the host picks); 0 for ping
///   parameters (rest of body)   // attribute list
/// }
/// </code>
/// </summary>
public sealed record RequestPdu : Pdu
{
    /// <inheritdoc/>
    public override PduType Type => PduType.Request;
    /// <summary>Request id.</summary>
    public ulong RequestId { get; init; }
    /// <summary>The boot of hostd the request is meant for.</summary>
    public ulong BootId { get; init; }
    /// <summary>What to do (may be a code this codec does not know).</summary>
    public RequestCode Code { get; init; }
    /// <summary>Flags.</summary>
    public RequestFlags Flags { get; init; }
    /// <summary>Target VM.</summary>
    public Guid Vm { get; init; }
    /// <summary>Parameters.</summary>
    public AttrList Parameters { get; init => field = value.Frozen(); } = AttrList.Empty;

    /// <summary>Materializes a checked view.</summary>
    public static RequestPdu From(in RequestView v) => new()
    {
        RequestId = v.RequestId, BootId = v.BootId, Code = v.Code, Flags = v.Flags, Vm = v.Vm,
        Parameters = AttrCodec.ReadChecked(v.ParameterBytes),
    };

    internal override void WriteBody(ref WireWriter w) =>
        Exchange.Write(ref w, RequestId, BootId, (byte)Code, (byte)Flags, Vm, Parameters);
}

/// <summary>A checked REQUEST body over its bytes; allocates nothing.</summary>
public readonly ref struct RequestView
{
    private readonly Exchange _x;

    private RequestView(Exchange x) => _x = x;

    /// <summary>Request id.</summary>
    public ulong RequestId => _x.RequestId;
    /// <summary>Target boot id.</summary>
    public ulong BootId => _x.BootId;
    /// <summary>Request code.</summary>
    public RequestCode Code => (RequestCode)_x.Code;
    /// <summary>Flags.</summary>
    public RequestFlags Flags => (RequestFlags)_x.Flags;
    /// <summary>Target VM.</summary>
    public Guid Vm => new(_x.UuidBytes, bigEndian: true);
    /// <summary>The parameter attribute list.</summary>
    public ReadOnlySpan<byte> ParameterBytes => _x.Attributes;
    /// <summary>A reader over the parameters.</summary>
    public AttrReader Parameters => AttrReader.OverChecked(_x.Attributes);

    /// <summary>Parses and checks a REQUEST body.</summary>
    public static RequestView Parse(ReadOnlySpan<byte> body) => new(Exchange.Parse(body, "request", (byte)RequestFlags.Force, zeroIdAllowed: false));

    /// <summary>The request id of a body that may not parse (0 when even that is unreadable), to answer it with an error ack.</summary>
    public static ulong PeekRequestId(ReadOnlySpan<byte> body) => Exchange.PeekRequestId(body);
}
