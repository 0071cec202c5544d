using Vmm.Protocol.Internal;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// QUERY (type 0x10), vmmctl to controller (spec §7.4). Answered by HOST or VM PDUs and a final RESULT;
/// a watch is answered by HOST and VM PDUs as things change, until either side closes.
/// <code>
/// Query {
///   what       (8)     // 1 hosts, 2 vms, 3 watch
///   filters    (rest of body)   // host, ref
/// }
/// </code>
/// </summary>
public sealed record AdminQueryPdu : Pdu
{
    /// <inheritdoc/>
    public override PduType Type => PduType.AdminQuery;
    /// <summary>What is asked for.</summary>
    public QueryKind What { get; init; }
    /// <summary>Filters: host (only this host), ref (only this VM, by name or uuid).</summary>
    public AttrList Filters { get; init => field = value.Frozen(); } = AttrList.Empty;

    internal static AdminQueryPdu Read(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        var what = (QueryKind)r.U8("query what");
        return new AdminQueryPdu { What = what, Filters = AttrCodec.Read(r.Rest()) };
    }

    internal override void WriteBody(ref WireWriter w)
    {
        w.U8((byte)What);
        AttrCodec.Write(ref w, Filters);
    }
}
