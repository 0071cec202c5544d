// Reserved bits (spec §3.1, §6, §7): written as zero, and refused when set on the way in.
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Tests.Support;

namespace Vmm.Protocol.Tests.Examples;

public sealed class ReservedBitsTests
{
    [Theory]
    [MemberData(nameof(Samples.Types), MemberType = typeof(Samples))]
    public void Encoding_into_a_buffer_of_0xFF_gives_the_bytes_of_a_buffer_of_0x00(string type)
    {
        var pdu = Samples.Of(type);
        foreach (var key in new[] { null, ClusterKey.Generate() })
        {
            var ones = new byte[PduHeader.MaxStreamPdu];
            var zeros = new byte[PduHeader.MaxStreamPdu];
            Array.Fill(ones, (byte)0xFF);
            int n = PduCodec.Encode(pdu, ones, key);
            Assert.Equal(n, PduCodec.Encode(pdu, zeros, key));
            Assert.Equal(Wire.Hex(zeros.AsSpan(0, n)), Wire.Hex(ones.AsSpan(0, n)));
            Assert.Equal(0, ones[4]); // header flags
            Assert.True(ones.AsSpan(n).IndexOfAnyExcept((byte)0xFF) < 0, "Encode wrote past the PDU's end");
        }
    }

    [Theory]
    [MemberData(nameof(Samples.Types), MemberType = typeof(Samples))]
    public void Header_flags_other_than_zero_are_Malformed(string type)
    {
        var good = Wire.Encode(Samples.Of(type));
        for (int bit = 0; bit < 8; bit++)
        {
            var b = (byte[])good.Clone();
            b[4] = (byte)(1 << bit);
            Wire.Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(b));
            Wire.Throws(ProtocolErrorCode.Malformed, () => PduCodec.TryDecode(b, out _, out _));
            Wire.Throws(ProtocolErrorCode.Malformed, () => PduFraming.TryReadFrame(b.AsSpan(0, PduHeader.Size), out _, out _));
        }
    }

    public static TheoryData<string, Pdu> ReservedBitCases()
    {
        var data = new TheoryData<string, Pdu>();
        // Status bit 2 is draining (spec §6.1), bit 3 fenced (spec §15.3); bits 4-7 are reserved.
        for (int bit = 4; bit < 8; bit++)
            data.Add($"state status bit {bit}", Samples.State with { Status = (HostStatus)(1 << bit) });
        // VM flags bit 4 is ha (spec §6.2); bits 5-7 are reserved.
        for (int bit = 5; bit < 8; bit++)
        {
            var vm = Samples.RunningVm with { Flags = (VmFlags)(1 << bit) };
            data.Add($"state VM flags bit {bit}", Samples.State with { Vms = [vm] });
            data.Add($"admin vm VM flags bit {bit}", Samples.AdminVm with { Vm = vm });
        }
        for (int bit = 1; bit < 8; bit++)
        {
            data.Add($"request flags bit {bit}", Samples.Request with { Flags = (RequestFlags)(1 << bit) });
            // ACK bit 1 is unchanged (spec §7.2); bits 2-7 are reserved.
            if (bit >= 2) data.Add($"ack flags bit {bit}", Samples.Ack with { Flags = (AckFlags)(1 << bit) });
            data.Add($"submit flags bit {bit}", Samples.Submit with { Flags = (RequestFlags)(1 << bit) });
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ReservedBitCases))]
    public void Reserved_status_and_flag_bits_are_Malformed(string what, Pdu pdu)
    {
        Assert.NotNull(what);
        var b = Wire.Encode(pdu); // the encoder writes the model as it is, reserved bits included
        Wire.Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(b));
    }

    public static TheoryData<string, VmState> BadTombstones() => new()
    {
        { "power", VmState.TombstoneFor(Samples.VmUuid, "x") with { Power = PowerState.Running } },
        { "reason", VmState.TombstoneFor(Samples.VmUuid, "x") with { Reason = 1 } },
        { "vcpus", VmState.TombstoneFor(Samples.VmUuid, "x") with { Vcpus = 1 } },
        { "memory", VmState.TombstoneFor(Samples.VmUuid, "x") with { MemoryKib = 1 } },
        { "persistent", VmState.TombstoneFor(Samples.VmUuid, "x") with { Flags = VmFlags.Tombstone | VmFlags.Persistent } },
        { "autostart", VmState.TombstoneFor(Samples.VmUuid, "x") with { Flags = VmFlags.Tombstone | VmFlags.Autostart } },
        { "truncated", VmState.TombstoneFor(Samples.VmUuid, "x") with { Flags = VmFlags.Tombstone | VmFlags.Truncated } },
        { "ha", VmState.TombstoneFor(Samples.VmUuid, "x") with { Flags = VmFlags.Tombstone | VmFlags.Ha } },
        { "attributes", VmState.TombstoneFor(Samples.VmUuid, "x") with { Attributes = new AttrList().Add(AttrType.MaxVcpus, 1) } },
    };

    [Theory]
    [MemberData(nameof(BadTombstones))]
    public void A_tombstone_with_anything_but_uuid_and_name_is_Malformed(string what, VmState tombstone)
    {
        Assert.NotNull(what);
        Wire.Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(Wire.Encode(Samples.State with { Vms = [tombstone] })));
        Wire.Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(Wire.Encode(Samples.AdminVm with { Vm = tombstone })));
    }

    [Fact]
    public void A_tombstone_with_only_uuid_and_name_decodes()
    {
        var pdu = Samples.State with { Vms = [VmState.TombstoneFor(Samples.VmUuid, "gone"), VmState.TombstoneFor(Guid.Empty, "")] };
        Assert.Equal(pdu, PduCodec.Decode(Wire.Encode(pdu)));
    }

    public static TheoryData<string, Pdu> BadValues() => new()
    {
        { "request id 0", Samples.Request with { RequestId = 0 } },
        { "state boot 0", Samples.State with { BootId = 0 } },
        { "state sequence 0", Samples.State with { Sequence = 0 } },
        { "event datagram with a report", Samples.State with { Pages = 0, Page = 0, Report = 1 } },
        { "event datagram with a page", Samples.State with { Pages = 0, Page = 1, Report = 0 } },
        { "page equal to pages", Samples.State with { Pages = 2, Page = 2 } },
        { "page above pages", Samples.State with { Pages = 1, Page = 0xFFFF } },
        { "state host name empty", Samples.State with { Host = "" } },
        { "state host name not a name", Samples.State with { Host = "-hv1" } },
        { "admin host name not a name", Samples.Host with { Name = "hv 1" } },
        { "admin vm host not a name", Samples.AdminVm with { Host = "hv1/2" } },
        { "VM name with a control character", Samples.State with { Vms = [Samples.RunningVm with { Name = "a\tb" }] } },
        { "VM name with a C1 control", Samples.State with { Vms = [Samples.RunningVm with { Name = "a\u0085b" }] } },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Fields_outside_their_allowed_values_are_BadValue(string what, Pdu pdu)
    {
        Assert.NotNull(what);
        Wire.Throws(ProtocolErrorCode.BadValue, () => PduCodec.Decode(Wire.Encode(pdu)));
    }

    [Fact]
    public void An_ack_may_answer_request_id_0_and_a_ping_may_name_boot_0()
    {
        var ack = Samples.Ack with { RequestId = 0 };
        Assert.Equal(ack, PduCodec.Decode(Wire.Encode(ack)));
        var ping = new RequestPdu { RequestId = 1, BootId = 0, Code = RequestCode.Ping };
        Assert.Equal(ping, PduCodec.Decode(Wire.Encode(ping)));
    }
}
