// Attribute lists (spec §5): order, repetition, the critical bit, value sizes and limits.
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Tests.Support;
using static Vmm.Protocol.Tests.Support.Wire;

namespace Vmm.Protocol.Tests.Examples;

public sealed class AttributeTests
{
    private static readonly byte[] U32One = [0, 0, 0, 1];

    private static RequestPdu Decoded(byte[] frame) => (RequestPdu)PduCodec.Decode(frame);

    [Fact]
    public void Attributes_in_ascending_order_decode()
    {
        var pdu = Decoded(RequestWith(Attr(0x20, "a"u8.ToArray()), Attr(0x21, 0, 2), Attr(0x25, U32One)));
        Assert.Equal([AttrType.Name, AttrType.Vcpus, AttrType.TimeoutMs], pdu.Parameters.Select(a => a.Type));
    }

    [Fact]
    public void Attributes_out_of_order_are_Malformed()
    {
        Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(RequestWith(Attr(0x21, 0, 2), Attr(0x20, "a"u8.ToArray()))));
        // The critical bit does not take part in the order: 0xA0 is type 0x20.
        Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(RequestWith(Attr(0x21, 0, 2), Attr(0xA0, "a"u8.ToArray()))));
        // Unknown types are ordered too.
        Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(RequestWith(Attr(0x7E, 1), Attr(0x7D, 1))));
    }

    [Fact]
    public void An_out_of_order_model_list_is_refused_when_decoded()
    {
        var list = new AttrList();
        ((ValueList<Attr>)list).Add(new Attr { Type = AttrType.Vcpus, Number = 2 }); // bypasses AttrList.Add's ordering
        ((ValueList<Attr>)list).Add(new Attr { Type = AttrType.Name, Text = "a" });
        Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(Encode(Samples.Request with { Parameters = list })));
    }

    [Fact]
    public void AttrList_Add_keeps_ascending_type_order_and_the_order_of_repeats()
    {
        var list = new AttrList().Add(AttrType.Memory, 1).Add(AttrType.SnapshotName, "b").Add(AttrType.Name, "n").Add(AttrType.SnapshotName, "a");
        Assert.Equal([AttrType.Name, AttrType.Memory, AttrType.SnapshotName, AttrType.SnapshotName], list.Select(a => a.Type));
        Assert.Equal(["b", "a"], list.All(AttrType.SnapshotName).Select(a => a.Text));
    }

    [Fact]
    public void A_non_repeatable_attribute_repeated_is_Malformed()
    {
        Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(RequestWith(Attr(0x21, 0, 2), Attr(0x21, 0, 3))));
        Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(RequestWith(Attr(0x21, 0, 2), Attr(0xA1, 0, 3))));
    }

    [Fact]
    public void Repeatable_attributes_repeat_in_order()
    {
        var pdu = Decoded(RequestWith(Attr(0x27, "b"u8.ToArray()), Attr(0x27, "a"u8.ToArray()), Attr(0x27, "c"u8.ToArray())));
        Assert.Equal(["b", "a", "c"], pdu.Parameters.Select(a => a.Text));
    }

    [Fact]
    public void An_unknown_critical_attribute_is_UnknownCritical()
    {
        Throws(ProtocolErrorCode.UnknownCritical, () => PduCodec.Decode(RequestWith(Attr(0x80 | 0x7F, 1, 2, 3))));
        Throws(ProtocolErrorCode.UnknownCritical, () => PduCodec.Decode(RequestWith(Attr(0x80 | 0x7D))));
        // Also inside a nested list.
        Throws(ProtocolErrorCode.UnknownCritical, () => PduCodec.Decode(RequestWith(Attr(0x23, Attr(0xFD, 1)))));
    }

    [Fact]
    public void An_unknown_non_critical_attribute_is_kept_and_reencoded_verbatim()
    {
        var frame = RequestWith(Attr(0x20, "a"u8.ToArray()), Attr(0x7D, 0xDE, 0xAD, 0xBE, 0xEF), Attr(0x7D), Attr(0x7F, 0x00));
        var pdu = Decoded(frame);
        Assert.Equal(3, pdu.Parameters.Count(a => a.Def is null));
        var unknown = pdu.Parameters.First(a => a.Type == (AttrType)0x7D);
        Assert.False(unknown.Critical);
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }, unknown.Opaque!.Bytes);
        Assert.Equal(Hex(frame), Hex(Encode(pdu)));
    }

    [Fact]
    public void A_known_attribute_with_the_critical_bit_is_understood_and_kept()
    {
        var frame = RequestWith(Attr(0x80 | 0x21, 0, 4));
        var a = Assert.Single(Decoded(frame).Parameters);
        Assert.True(a.Critical);
        Assert.Equal(4UL, a.Number);
        Assert.Equal(Hex(frame), Hex(Encode(Decoded(frame))));
    }

    public static TheoryData<string, int> WrongIntegerSizes()
    {
        var data = new TheoryData<string, int>();
        foreach (var def in AttrRegistry.All.Where(d => d.Kind is AttrKind.U8 or AttrKind.U16 or AttrKind.U32 or AttrKind.U64 or AttrKind.Mac))
        {
            int right = def.Kind switch { AttrKind.U8 => 1, AttrKind.U16 => 2, AttrKind.U32 => 4, AttrKind.Mac => 6, _ => 8 };
            foreach (int size in new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16 }.Where(s => s != right)) data.Add(def.Name, size);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(WrongIntegerSizes))]
    public void An_integer_attribute_with_the_wrong_value_size_is_Malformed(string name, int size)
    {
        var def = AttrRegistry.Find(name)!;
        Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(RequestWith(Attr((byte)def.Type, new byte[size]))));
    }

    [Fact]
    public void An_attribute_running_past_its_list_is_Malformed()
    {
        var frame = RequestWith(Attr(0x20, "abc"u8.ToArray()));
        frame[PduHeader.Size + 34 + 2] = 4; // declare 4 value bytes where 3 follow
        Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(frame));
        Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(RequestWith(new byte[] { 0x20, 0x00 })));  // header cut short
        Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(RequestWith(new byte[] { 0x20 })));
    }

    [Fact]
    public void A_nested_list_inside_a_nested_list_is_Malformed()
    {
        Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(RequestWith(Attr(0x23, Attr(0x24)))));
        // One level is fine.
        Assert.Single(Decoded(RequestWith(Attr(0x23, Attr(0x2B, "vda"u8.ToArray())))).Parameters);
    }

    [Fact]
    public void A_nested_list_over_4096_bytes_is_BadValue()
    {
        byte[] opaque = new byte[4096 - 3 + 1];
        Throws(ProtocolErrorCode.BadValue, () => PduCodec.Decode(RequestWith(Attr(0x23, Attr(0x7D, opaque)))));
        Assert.Single(Decoded(RequestWith(Attr(0x23, Attr(0x7D, opaque[..^1])))).Parameters);
    }

    [Fact]
    public void Text_longer_than_its_registry_limit_is_BadValue()
    {
        foreach (var def in AttrRegistry.All.Where(d => d.Kind == AttrKind.Text))
        {
            var exact = Enumerable.Repeat((byte)'a', def.MaxLength).ToArray();
            Assert.Single(Decoded(RequestWith(Attr((byte)def.Type, exact))).Parameters);
            Throws(ProtocolErrorCode.BadValue, () => PduCodec.Decode(RequestWith(Attr((byte)def.Type, [.. exact, (byte)'a']))));
        }
    }

    public static TheoryData<string, byte[]> BadTexts() => new()
    {
        { "invalid UTF-8", [0xFF] },
        { "truncated UTF-8", [0xE6, 0x97] },
        { "overlong UTF-8", [0xC0, 0x80] },
        { "encoded surrogate", [0xED, 0xA0, 0x80] },
        { "NUL", [(byte)'a', 0x00] },
        { "newline", [(byte)'a', 0x0A] },
        { "DEL", [0x7F] },
        { "C1 control", [0xC2, 0x85] },
    };

    [Theory]
    [MemberData(nameof(BadTexts))]
    public void Text_that_is_not_UTF8_without_controls_is_BadValue(string what, byte[] value)
    {
        Assert.NotNull(what);
        Throws(ProtocolErrorCode.BadValue, () => PduCodec.Decode(RequestWith(Attr((byte)AttrType.Message, value))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-abc")]
    [InlineData("a b")]
    [InlineData("caf\u00e9")]
    public void A_name_attribute_that_is_not_a_name_is_BadValue(string value)
    {
        Throws(ProtocolErrorCode.BadValue, () => PduCodec.Decode(RequestWith(Attr((byte)AttrType.Name, System.Text.Encoding.UTF8.GetBytes(value)))));
    }

    [Fact]
    public void Names_are_limited_by_their_registry_length()
    {
        // bridge: 15 bytes (Linux IFNAMSIZ), target: 32, name: 64.
        foreach (var (type, max) in new[] { (AttrType.Bridge, 15), (AttrType.Target, 32), (AttrType.Name, 64) })
        {
            Assert.Single(Decoded(RequestWith(Attr((byte)type, Enumerable.Repeat((byte)'a', max).ToArray()))).Parameters);
            Throws(ProtocolErrorCode.BadValue, () => PduCodec.Decode(RequestWith(Attr((byte)type, Enumerable.Repeat((byte)'a', max + 1).ToArray()))));
        }
    }

    [Fact]
    public void Disk_and_nic_states_shorter_than_their_fixed_part_are_Malformed()
    {
        Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(VmPduWithRecordAttrs(Attr(0x10, new byte[10]))));
        Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(VmPduWithRecordAttrs(Attr(0x11, new byte[7]))));
        Throws(ProtocolErrorCode.BadValue, () => PduCodec.Decode(VmPduWithRecordAttrs(Attr(0x10, [.. new byte[10], .. "v d"u8]))));
        Throws(ProtocolErrorCode.BadValue, () => PduCodec.Decode(VmPduWithRecordAttrs(Attr(0x10, [.. new byte[10], .. Enumerable.Repeat((byte)'a', 33)]))));
        Throws(ProtocolErrorCode.BadValue, () => PduCodec.Decode(VmPduWithRecordAttrs(Attr(0x11, [.. new byte[8], 0x0A]))));
        Assert.NotNull(PduCodec.Decode(VmPduWithRecordAttrs(Attr(0x11, new byte[8]))));
    }

    /// <summary>
    /// Bug (AttrReader.CheckValue, DiskState case): spec §6.3 says disk flags bits 3-7 are 0 and §11 that a set
    /// reserved bit in a flags field is malformed, but the reader never looks at the disk's flags byte.
    /// </summary>
    [Fact]
    public void Reserved_disk_flag_bits_are_Malformed()
    {
        for (int bit = 3; bit < 8; bit++)
        {
            byte[] disk = [0, 0, 0, 0, 0, 0, 0, 1, (byte)DiskBus.Virtio, (byte)(1 << bit), .. "vda"u8];
            Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(VmPduWithRecordAttrs(Attr(0x10, disk))));
        }
        byte[] ok = [0, 0, 0, 0, 0, 0, 0, 1, (byte)DiskBus.Virtio, 0x07, .. "vda"u8];
        Assert.NotNull(PduCodec.Decode(VmPduWithRecordAttrs(Attr(0x10, ok))));
    }

    /// <summary>An admin VM PDU (host "h") whose record's attribute list is exactly <paramref name="attrs"/>.</summary>
    private static byte[] VmPduWithRecordAttrs(params byte[][] attrs)
    {
        byte[] recordAttrs = [.. attrs.SelectMany(a => a)];
        int length = VmRecordView.FixedSize + recordAttrs.Length;
        byte[] record = [(byte)(length >> 8), (byte)length, .. new byte[VmRecordView.FixedSize], .. recordAttrs];
        return Frame(PduType.AdminVm, [1, (byte)'h', .. record]);
    }

    [Fact]
    public void Integer_attributes_carry_their_whole_range()
    {
        var pdu = Decoded(RequestWith(
            Attr((byte)AttrType.Vcpus, 0xFF, 0xFF), Attr((byte)AttrType.Memory, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF),
            Attr((byte)AttrType.TimeoutMs, 0xFF, 0xFF, 0xFF, 0xFF), Attr((byte)AttrType.SnapshotOp, 0xFF),
            Attr((byte)AttrType.Mac, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)));
        Assert.Equal([0xFFFFUL, ulong.MaxValue, 0xFFFFFFFFUL, 0xFFUL, 0xFFFF_FFFF_FFFFUL], pdu.Parameters.Select(a => a.Number));
    }
}
