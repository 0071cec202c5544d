// The cluster key, its file and the authentication tag (spec §3.3).
using FsCheck.Xunit;
using Vmm.Protocol.Tests.Generators;
using Vmm.Protocol.Tests.Support;
using static Vmm.Protocol.Tests.Support.Wire;

namespace Vmm.Protocol.Tests.Examples;

public sealed class ClusterKeyTests
{
    private static readonly ClusterKey Key = ClusterKey.Parse(new string('a', 64));

    [Fact]
    public void A_PDU_signed_with_another_key_is_WrongKey()
    {
        var other = ClusterKey.Generate();
        while (other.Id == Key.Id) other = ClusterKey.Generate();
        var b = Encode(Samples.Request, other);
        Throws(ProtocolErrorCode.WrongKey, () => Key.Authenticate(b));
        Throws(ProtocolErrorCode.WrongKey, () => PduCodec.Decode(b, Key));
    }

    [Fact]
    public void An_unsigned_PDU_is_Unsigned_where_the_key_is_required()
    {
        var b = Encode(Samples.Request);
        Assert.Equal(0, b[5]);
        Throws(ProtocolErrorCode.Unsigned, () => Key.Authenticate(b));
        Throws(ProtocolErrorCode.Unsigned, () => PduCodec.Decode(b, Key));
    }

    [Fact]
    public void A_PDU_signed_with_another_key_of_the_same_id_is_BadTag()
    {
        ClusterKey other;
        do other = ClusterKey.Generate(); while (other.Id != Key.Id);
        Throws(ProtocolErrorCode.BadTag, () => PduCodec.Decode(Encode(Samples.Request, other), Key));
    }

    [Fact]
    public void An_altered_PDU_is_BadTag()
    {
        var b = Encode(Samples.Ack, Key);
        b[PduHeader.Size + 7] ^= 1; // request id
        Throws(ProtocolErrorCode.BadTag, () => Key.Authenticate(b));
        var t = Encode(Samples.Ack, Key);
        t[^1] ^= 0x80;
        Throws(ProtocolErrorCode.BadTag, () => PduCodec.Decode(t, Key));
        Assert.False(Key.Verify(t));
        Assert.False(Key.Verify(new byte[PduHeader.MinPduSize - 1]));
    }

    [Theory]
    [InlineData(HmacImplementation.Platform)]
    [InlineData(HmacImplementation.Managed)]
    public void The_tag_is_the_first_16_bytes_of_HMAC_SHA256_over_the_PDU_before_it(HmacImplementation hmac)
    {
        var key = Key.With(hmac);
        Assert.Equal(hmac, key.Hmac);
        var b = Encode(Samples.Ack, key);
        var mac = System.Security.Cryptography.HMACSHA256.HashData(Convert.FromHexString(new string('a', 64)), b.AsSpan(0, b.Length - 16));
        Assert.Equal(Hex(mac.AsSpan(0, 16)), Hex(b.AsSpan(b.Length - 16)));
    }

    [Property(Arbitrary = [typeof(Arbs)], MaxTest = 300)]
    public void A_PDU_signed_by_one_HMAC_implementation_verifies_under_the_other(ClusterKey key, Pdu pdu)
    {
        var managed = key.With(HmacImplementation.Managed);
        Assert.Equal(key.Id, managed.Id);
        Assert.True(managed.SameAs(key));
        var b = Encode(pdu, key);
        Assert.Equal(Hex(b), Hex(Encode(pdu, managed)));
        Assert.True(managed.Verify(b));
        b[^1] ^= 1;
        Assert.False(managed.Verify(b));
        Assert.False(key.Verify(b));
    }

    [Fact]
    public void A_host_key_tags_with_the_implementation_of_its_master()
    {
        Assert.Equal(HmacImplementation.Platform, Key.DeriveHostKey("hv-01").Hmac);
        Assert.Equal(HmacImplementation.Managed, Key.With(HmacImplementation.Managed).DeriveHostKey("hv-01").Hmac);
    }

    [Property(Arbitrary = [typeof(Arbs)], MaxTest = 500)]
    public void A_key_id_is_never_0_and_depends_only_on_the_key(ClusterKey key)
    {
        Assert.NotEqual(0, key.Id);
        Assert.Equal(key.Id, ClusterKey.Parse(key.ToFileText()).Id);
    }

    [Fact]
    public void The_key_file_text_parses_back_to_the_same_key()
    {
        var key = ClusterKey.Generate();
        string text = key.ToFileText();
        Assert.Matches("^master [0-9a-f]{64}\n$", text);
        var back = ClusterKey.Parse(text);
        Assert.Equal(Hex(Encode(Samples.Ack, key)), Hex(Encode(Samples.Ack, back)));
    }

    [Theory]
    [InlineData("# cluster key for lab\n\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  \r\n")]
    public void A_key_file_may_have_comments_blank_lines_CRLF_and_upper_case(string text)
    {
        Assert.Equal(Key.Id, ClusterKey.Parse(text).Id);
    }

    [Theory]
    [InlineData("empty", "")]
    [InlineData("blank lines only", "\n \n\t\n")]
    [InlineData("comment only", "# no key here\n")]
    [InlineData("63 digits", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("65 digits", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("non-hex", "gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("spaces inside", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("two keys", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n")]
    [InlineData("base64", "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo=")]
    public void A_bad_key_file_is_a_FormatException_with_a_one_line_reason(string what, string text)
    {
        var e = Assert.Throws<FormatException>(() => ClusterKey.Parse(text));
        AssertOneLine(e.Message);
        Assert.True(e.Message.Contains("key", StringComparison.Ordinal) || e.Message.Contains("hex", StringComparison.Ordinal), $"{what}: '{e.Message}' does not say what is wrong");
    }

    [Fact]
    public void Loading_a_key_file_names_the_file_in_its_errors()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vmm-key-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string bad = Path.Combine(dir, "cluster.key");
            File.WriteAllText(bad, "not a key\n");
            var e = Assert.Throws<FormatException>(() => ClusterKey.Load(bad));
            Assert.Contains(bad, e.Message, StringComparison.Ordinal);
            AssertOneLine(e.Message);

            string missing = Path.Combine(dir, "missing.key");
            e = Assert.Throws<FormatException>(() => ClusterKey.Load(missing));
            Assert.Contains(missing, e.Message, StringComparison.Ordinal);
            AssertOneLine(e.Message);

            File.WriteAllText(bad, Key.ToFileText());
            Assert.Equal(Key.Id, ClusterKey.Load(bad).Id);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_key_of_the_wrong_length_is_refused_by_the_constructor()
    {
        Assert.Throws<ArgumentException>(() => new ClusterKey(new byte[31]));
        Assert.Throws<ArgumentException>(() => new ClusterKey(new byte[33]));
    }
}
