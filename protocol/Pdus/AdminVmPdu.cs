using Vmm.Protocol.Internal;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// VM (type 0x13), controller to vmmctl (spec §7.5): one VM as the controller's inventory holds it. While its
/// host is down the record's power is unknown and last-power keeps what was last reported.
/// <code>
/// Vm {
///   host_len   (8)
///   host       (host_len)
///   record     VmRecord       // spec §6.2
///   attributes (rest of body) // age-ms, last-power, last-code, last-ack
/// }
/// </code>
/// </summary>
public sealed record AdminVmPdu : Pdu
{
    /// <inheritdoc/>
    public override PduType Type => PduType.AdminVm;
    /// <summary>The host that reported the VM.</summary>
    public string Host { get; init; } = "";
    /// <summary>The VM's record.</summary>
    public VmState Vm { get; init; } = new();
    /// <summary>Inventory attributes.</summary>
    public AttrList Attributes { get; init => field = value.Frozen(); } = AttrList.Empty;

    internal static AdminVmPdu Read(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        var host = r.Str8("vm host");
        if (!Validation.IsName(host)) Throw.BadValue("vm host is not a valid name");
        var rest = r.Rest();
        int used = VmRecordView.Parse(rest, out var record);
        return new AdminVmPdu { Host = Validation.Decode(host), Vm = VmState.From(record), Attributes = AttrCodec.Read(rest[used..]) };
    }

    internal override void WriteBody(ref WireWriter w)
    {
        w.Str8(Host, Validation.MaxNameLength, "host name");
        Vm.Write(ref w);
        AttrCodec.Write(ref w, Attributes);
    }
}
