using Vmm.Protocol.Internal;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// SUBMIT (type 0x11), vmmctl to controller (spec §7.4): a request on a VM named by name or uuid; the
/// controller picks the host, assigns the request id and answers with one RESULT.
/// <code>
/// Submit {
///   code       (8)     // request code registry
///   flags      (8)     // request flags
///   parameters (rest of body)   // vm, host, dest-host, and the request's own parameters
/// }
/// </code>
/// </summary>
public sealed record AdminSubmitPdu : Pdu
{
    /// <inheritdoc/>
    public override PduType Type => PduType.AdminSubmit;
    /// <summary>Request code.</summary>
    public RequestCode Code { get; init; }
    /// <summary>Request flags.</summary>
    public RequestFlags Flags { get; init; }
    /// <summary>Parameters.</summary>
    public AttrList Parameters { get; init => field = value.Frozen(); } = AttrList.Empty;

    internal static AdminSubmitPdu Read(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        var code = (RequestCode)r.U8("submit code");
        byte flags = r.U8("submit flags");
        if ((flags & ~(byte)RequestFlags.Force) != 0) Throw.Malformed($"submit flags 0x{flags:x2} set reserved bits");
        return new AdminSubmitPdu { Code = code, Flags = (RequestFlags)flags, Parameters = AttrCodec.Read(r.Rest()) };
    }

    internal override void WriteBody(ref WireWriter w)
    {
        w.U8((byte)Code);
        w.U8((byte)Flags);
        AttrCodec.Write(ref w, Parameters);
    }
}
