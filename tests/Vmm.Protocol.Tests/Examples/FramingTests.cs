// Header checks and transport limits (spec §3.2, §3.4, §3.5).
using System.Buffers.Binary;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Tests.Support;
using static Vmm.Protocol.Tests.Support.Wire;

namespace Vmm.Protocol.Tests.Examples;

public sealed class FramingTests
{
    private static byte[] Header(int length, byte type = 0x02, byte version = PduHeader.CurrentVersion, ushort magic = PduHeader.Magic)
    {
        var h = new byte[PduHeader.Size];
        BinaryPrimitives.WriteUInt16BigEndian(h, magic);
        h[2] = version;
        h[3] = type;
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(6), (uint)length);
        return h;
    }

    [Fact]
    public void An_oversized_declared_length_is_TooLarge_before_the_body_arrives()
    {
        var h = Header(70000);
        Throws(ProtocolErrorCode.TooLarge, () => PduFraming.TryReadFrame(h, out _, out _));
        Throws(ProtocolErrorCode.TooLarge, () => PduCodec.TryDecode(h, out _, out _));
        Throws(ProtocolErrorCode.TooLarge, () => PduFraming.TryReadFrame(Header(PduHeader.MaxStreamPdu + 1), out _, out _));
        Throws(ProtocolErrorCode.TooLarge, () => PduFraming.TryReadFrame(Header(-1), out _, out _)); // 0xFFFFFFFF
        Assert.False(PduFraming.TryReadFrame(Header(PduHeader.MaxStreamPdu), out _, out _)); // at the limit: wait for it
    }

    [Fact]
    public void A_declared_length_below_the_minimum_is_BadLength()
    {
        for (int n = 0; n < PduHeader.MinPduSize; n++)
            Throws(ProtocolErrorCode.BadLength, () => PduFraming.TryReadFrame([.. Header(n), .. new byte[30]], out _, out _));
    }

    [Fact]
    public void A_datagram_longer_than_1200_bytes_is_TooLarge()
    {
        var big = new AckPdu { RequestId = 1, Results = new AttrList().Add(AttrType.Message, new string('a', 1024)).Add(AttrType.BaseImage, new string('b', 200)) };
        var b = Encode(big);
        Assert.True(b.Length > PduHeader.MaxDatagram);
        Throws(ProtocolErrorCode.TooLarge, () => PduCodec.Decode(b, PduHeader.MaxDatagram));
        Throws(ProtocolErrorCode.TooLarge, () => PduFraming.ReadDatagram(b));
        Throws(ProtocolErrorCode.TooLarge, () => PduCodec.Decode(b, ClusterKey.Generate(), PduHeader.MaxDatagram));
        // Encoding refuses it too when told the transport's limit.
        Throws(ProtocolErrorCode.TooLarge, () => PduCodec.ToBytes(big, null, PduHeader.MaxDatagram));
    }

    [Fact]
    public void A_datagram_of_exactly_1200_bytes_decodes()
    {
        // 26 (header, tag) + 34 (ack fixed part) + 1027 (message of 1024) + 113 (base-image of 110) = 1200
        var pdu = new AckPdu { RequestId = 1, Results = new AttrList().Add(AttrType.Message, new string('a', 1024)).Add(AttrType.BaseImage, new string('b', 110)) };
        var b = Encode(pdu);
        Assert.Equal(PduHeader.MaxDatagram, b.Length);
        Assert.Equal(pdu, PduCodec.Decode(b, PduHeader.MaxDatagram));
    }

    [Fact]
    public void A_datagram_with_bytes_after_its_PDU_is_BadLength()
    {
        var b = Encode(Samples.Ack);
        Throws(ProtocolErrorCode.BadLength, () => PduCodec.Decode([.. b, 0]));
        Throws(ProtocolErrorCode.BadLength, () => PduCodec.Decode([.. b, .. b]));
    }

    [Fact]
    public void A_stream_decodes_its_first_PDU_and_leaves_the_rest()
    {
        var a = Encode(Samples.Ack);
        var r = Encode(Samples.Request);
        Assert.True(PduCodec.TryDecode([.. a, .. r[..5]], out var pdu, out int consumed));
        Assert.Equal(a.Length, consumed);
        Assert.Equal(Samples.Ack, pdu);
    }

    [Fact]
    public void A_bad_magic_is_refused_from_the_first_two_bytes()
    {
        Throws(ProtocolErrorCode.BadMagic, () => PduFraming.TryReadFrame("GE"u8, out _, out _));
        Throws(ProtocolErrorCode.BadMagic, () => PduCodec.TryDecode("GET / HTTP/1.1\r\n"u8, out _, out _));
        Throws(ProtocolErrorCode.BadMagic, () => PduCodec.Decode(Header(26, magic: 0x4D56)));
        Assert.False(PduFraming.TryReadFrame("V"u8, out _, out _));
        Assert.False(PduFraming.TryReadFrame("VM"u8, out _, out _));
        Assert.False(PduFraming.TryReadFrame([], out _, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(255)]
    public void An_unknown_version_is_BadVersion(byte version)
    {
        Throws(ProtocolErrorCode.BadVersion, () => PduFraming.TryReadFrame(Header(26, version: version), out _, out _));
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x06)]
    [InlineData(0x0F)]
    [InlineData(0x16)]
    [InlineData(0x81)]
    [InlineData(0xFF)]
    public void An_unknown_type_is_UnknownType(byte type)
    {
        Throws(ProtocolErrorCode.UnknownType, () => PduFraming.TryReadFrame(Header(26, type: type), out _, out _));
        Throws(ProtocolErrorCode.UnknownType, () => PduCodec.Decode([.. Header(26, type: type), .. new byte[16]]));
    }

    [Fact]
    public void A_PDU_of_exactly_65536_bytes_round_trips_and_one_byte_more_is_TooLarge()
    {
        int value = PduHeader.MaxStreamPdu - PduHeader.MinPduSize - 1 - 3; // query: what (1), one attribute header (3)
        var pdu = new AdminQueryPdu { What = QueryKind.Hosts, Filters = new AttrList().Add(new Attr { Type = (AttrType)0x7D, Opaque = new Blob(new byte[value]) }) };
        var b = Encode(pdu);
        Assert.Equal(PduHeader.MaxStreamPdu, b.Length);
        Assert.Equal(pdu, DecodeStream(b));

        var over = pdu with { Filters = new AttrList().Add(new Attr { Type = (AttrType)0x7D, Opaque = new Blob(new byte[value + 1]) }) };
        Throws(ProtocolErrorCode.TooLarge, () => Encode(over));
    }

    [Fact]
    public void Encoding_into_a_span_too_small_is_TooLarge_and_writes_nothing_past_it()
    {
        var bytes = Encode(Samples.State);
        var buffer = new byte[bytes.Length + 8];
        Array.Fill(buffer, (byte)0xAA);
        Throws(ProtocolErrorCode.TooLarge, () => PduCodec.Encode(Samples.State, buffer.AsSpan(0, bytes.Length - 1)));
        Assert.True(buffer.AsSpan(bytes.Length - 1).IndexOfAnyExcept((byte)0xAA) < 0);
        Assert.Equal(bytes.Length, PduCodec.Encode(Samples.State, buffer.AsSpan(0, bytes.Length)));
        Throws(ProtocolErrorCode.TooLarge, () => PduCodec.Encode(Samples.Ack, new byte[PduHeader.MinPduSize - 1]));
    }

    [Fact]
    public void Encode_into_a_buffer_writer_advances_by_the_PDU()
    {
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        int n = PduCodec.Encode(Samples.Request, writer);
        Assert.Equal(n, writer.WrittenCount);
        Assert.Equal(Hex(Encode(Samples.Request)), Hex(writer.WrittenSpan));
    }

    [Fact]
    public void Header_and_tag_errors_end_the_stream_and_body_errors_do_not()
    {
        // spec §9: a reserved header flag is malformed, and still a stream error, since it is found before the tag.
        var flags = Encode(Samples.Ack);
        flags[4] = 1;
        Assert.True(Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(flags)).IsStreamError);
        Assert.True(Throws(ProtocolErrorCode.BadMagic, () => PduFraming.TryReadFrame("GE"u8, out _, out _)).IsStreamError);
        Assert.True(Throws(ProtocolErrorCode.Truncated, () => PduCodec.Decode(Encode(Samples.Ack)[..30])).IsStreamError);
        Assert.True(Throws(ProtocolErrorCode.Unsigned, () => PduCodec.Decode(Encode(Samples.Ack), ClusterKey.Generate())).IsStreamError);

        Assert.False(Throws(ProtocolErrorCode.Malformed, () => PduCodec.Decode(RequestWith(Attr(0x21, 0, 2), Attr(0x21, 0, 3)))).IsStreamError);
        Assert.False(Throws(ProtocolErrorCode.BadValue, () => PduCodec.Decode(Encode(Samples.Request with { RequestId = 0 }))).IsStreamError);
        Assert.False(Throws(ProtocolErrorCode.UnknownCritical, () => PduCodec.Decode(RequestWith(Attr(0xFF)))).IsStreamError);
    }

    [Fact]
    public void Every_error_code_has_a_name_and_the_first_ten_are_stream_errors()
    {
        foreach (var code in Enum.GetValues<ProtocolErrorCode>())
        {
            Assert.Matches("^[a-z]+(-[a-z]+)*$", code.Name());
            Assert.Equal(code <= ProtocolErrorCode.BadTag, code.IsStreamError());
        }
        Assert.Equal("99", ((ProtocolErrorCode)99).Name());
    }

    [Fact]
    public void ErrorPdu_For_carries_the_code_the_message_and_for_a_version_error_the_version()
    {
        var e = ErrorPdu.For(new ProtocolException(ProtocolErrorCode.BadVersion, "PDU version 2 is not supported"));
        Assert.Equal(ProtocolErrorCode.BadVersion, e.Code);
        Assert.Equal("PDU version 2 is not supported", e.Attributes.Text(AttrType.Message));
        Assert.Equal((ulong)PduHeader.CurrentVersion, e.Attributes.Number(AttrType.Version));
        Assert.Equal(e, DecodeStream(Encode(e)));

        var longMessage = ErrorPdu.For(new ProtocolException(ProtocolErrorCode.Malformed, new string('\u65e5', 2000)));
        Assert.Equal(1023, System.Text.Encoding.UTF8.GetByteCount(longMessage.Attributes.Text(AttrType.Message)!));
        Assert.Null(longMessage.Attributes.Find(AttrType.Version));
        Assert.Equal(longMessage, DecodeStream(Encode(longMessage)));
    }
}
