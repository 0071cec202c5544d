// The ERROR a stream sends before it closes (spec §7.3, §9), made from the exception the codec raised.
using System.Text;
using Vmm.Protocol.Pdus;

namespace Vmm.Protocol.Tests.Examples;

public sealed class ErrorPduTests
{
    [Fact]
    public void ErrorPdu_For_a_bad_version_carries_the_code_the_message_and_the_version_spoken()
    {
        var bad = new byte[PduHeader.MinPduSize];
        PduHeader.Write(bad, PduType.Ack, 0, bad.Length);
        bad[2] = 1;
        var e = Assert.Throws<ProtocolException>(() => PduCodec.Decode(bad));
        var error = ErrorPdu.For(e);
        Assert.Equal(ProtocolErrorCode.BadVersion, error.Code);
        Assert.Equal(e.Message, error.Attributes.Text(AttrType.Message));
        Assert.Equal(PduHeader.CurrentVersion, error.Attributes.Number(AttrType.Version));
        Assert.Equal(error, PduCodec.Decode(PduCodec.ToBytes(error)) with { KeyId = 0, Tag = 0 });
    }

    [Theory]
    [InlineData("Assert.Equal() Failure: Values differ\nExpected: None\nActual:   Stale", "Assert.Equal() Failure: Values differ Expected: None Actual:   Stale")]
    [InlineData("tab\there\r\n", "tab here")]
    [InlineData("\u0085next line\u007fdel", "next line del")]
    [InlineData("plain, with ü and 🦀", "plain, with ü and 🦀")]
    public void A_message_made_from_several_lines_is_sent_as_one_line_that_every_receiver_takes(string text, string sent)
    {
        // The controller once put an exception's several lines into a RESULT's message: the PDU went out, and the
        // client refused it ("message is not UTF-8 text without control characters").
        var result = new AdminResultPdu { Code = AckCode.Failure, Attributes = new AttrList().AddMessage(text) };
        var decoded = (AdminResultPdu)PduCodec.Decode(PduCodec.ToBytes(result));
        Assert.Equal(sent, decoded.Attributes.Text(AttrType.Message));
        Assert.Equal(sent, ErrorPdu.For(new ProtocolException(ProtocolErrorCode.BadTag, text)).Attributes.Text(AttrType.Message));
    }

    [Fact]
    public void A_lone_surrogate_in_a_message_is_sent_as_the_replacement_character()
    {
        // Built in code: an attribute argument cannot carry a lone surrogate.
        string text = "lone " + '\ud800' + " surrogate";
        var decoded = (AdminResultPdu)PduCodec.Decode(PduCodec.ToBytes(new AdminResultPdu { Attributes = new AttrList().AddMessage(text) }));
        Assert.Equal("lone \ufffd surrogate", decoded.Attributes.Text(AttrType.Message));
    }

    [Fact]
    public void ErrorPdu_For_other_errors_has_no_version()
    {
        var error = ErrorPdu.For(new ProtocolException(ProtocolErrorCode.BadTag, "tag"));
        Assert.Null(error.Attributes.Find(AttrType.Version));
    }

    [Theory]
    [InlineData("abc", 2, "ab")]
    [InlineData("aé", 2, "a")]          // é is 2 bytes: never half of it
    [InlineData("a😀b", 4, "a")]        // the emoji is 4 bytes and a surrogate pair
    [InlineData("a😀b", 5, "a😀")]
    [InlineData("short", 1024, "short")]
    public void Truncate_cuts_at_a_character_boundary(string text, int max, string expected)
    {
        string cut = ErrorPdu.Truncate(text, max);
        Assert.Equal(expected, cut);
        Assert.True(Encoding.UTF8.GetByteCount(cut) <= max);
    }

    [Fact]
    public void A_long_message_still_encodes()
    {
        var error = ErrorPdu.For(new ProtocolException(ProtocolErrorCode.Malformed, new string('é', 2000)));
        Assert.True(Encoding.UTF8.GetByteCount(error.Attributes.Text(AttrType.Message)!) <= 1024);
        PduCodec.Decode(PduCodec.ToBytes(error));
    }
}
