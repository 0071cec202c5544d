using Vmm.Protocol.Internal;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// HOST (type 0x12), controller to vmmctl (spec §7.5): one host as the controller's inventory holds it.
/// <code>
/// Host {
///   boot_id    (64)
///   sequence   (64)    // newest accepted
///   state      (8)     // 1 up, 2 down, 3 unreachable, 4 stopped
///   name_len   (8)
///   name       (name_len)
///   attributes (rest of body)   // host facts, address, age-ms, accepted, dropped
/// }
/// </code>
/// </summary>
public sealed record AdminHostPdu : Pdu
{
    /// <inheritdoc/>
    public override PduType Type => PduType.AdminHost;
    /// <summary>Current boot id.</summary>
    public ulong BootId { get; init; }
    /// <summary>Newest accepted sequence.</summary>
    public ulong Sequence { get; init; }
    /// <summary>Host state.</summary>
    public HostState State { get; init; }
    /// <summary>Host name.</summary>
    public string Name { get; init; } = "";
    /// <summary>Attributes.</summary>
    public AttrList Attributes { get; init => field = value.Frozen(); } = AttrList.Empty;

    internal static AdminHostPdu Read(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        var pdu = new AdminHostPdu
        {
            BootId = r.U64("host boot_id"),
            Sequence = r.U64("host sequence"),
            State = (HostState)r.U8("host state"),
        };
        var name = r.Str8("host name");
        if (!Validation.IsName(name)) Throw.BadValue("host name is not a valid name");
        return pdu with { Name = Validation.Decode(name), Attributes = AttrCodec.Read(r.Rest()) };
    }

    internal override void WriteBody(ref WireWriter w)
    {
        w.U64(BootId);
        w.U64(Sequence);
        w.U8((byte)State);
        w.Str8(Name, Validation.MaxNameLength, "host name");
        AttrCodec.Write(ref w, Attributes);
    }
}
