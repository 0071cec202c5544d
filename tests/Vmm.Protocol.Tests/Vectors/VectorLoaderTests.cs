// Tests of the vector reader and checker, on sample files written to a temporary folder (never into spec/).
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Tests.Support;
using Vmm.Protocol.Text;
using Xunit.Sdk;

namespace Vmm.Protocol.Tests.Vectors;

public sealed class VectorLoaderTests : IDisposable
{
    private const string KeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vmm-vectors-" + Guid.NewGuid().ToString("N"));

    public VectorLoaderTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Vector Load(string file, string content)
    {
        string path = Path.Combine(_dir, file);
        File.WriteAllText(path, content);
        return Vector.Parse(file, File.ReadAllText(path));
    }

    [Fact]
    public void A_positive_stream_vector_holds()
    {
        var pdu = Samples.Request;
        var v = Load("request-add.vec", Vector.Write("an add request", false, null, PduText.Format(pdu), Wire.Encode(pdu), null));
        Assert.False(v.IsNegative);
        Assert.Null(v.Key);
        v.Check();
    }

    [Fact]
    public void A_positive_signed_datagram_vector_holds()
    {
        var key = ClusterKey.Parse(KeyHex);
        var bytes = Wire.Encode(Samples.State, key);
        var text = PduText.Format(PduCodec.Decode(bytes, key));
        Assert.Contains(" tag=", text, StringComparison.Ordinal);
        var v = Load("state-signed.vec", Vector.Write("a signed report page", true, KeyHex, text, bytes, null));
        Assert.True(v.Datagram);
        v.Check();
    }

    [Fact]
    public void A_hand_written_vector_with_comments_and_continued_hex_holds()
    {
        const string content = """
            # ack id=42 code=busy, unsigned
            note: the smallest ack

            text: ack id=42 code=busy
            hex: 564d 0203 0000 0000 003c
                 0000 0000 0000 002a 0000 0000 0000 0000 04 00
                 00000000000000000000000000000000
              # a comment between continuation lines
                 00000000000000000000000000000000
            """;
        var v = Load("ack-busy.vec", content);
        Assert.Equal(60, v.Bytes.Length);
        v.Check();
    }

    [Fact]
    public void Negative_vectors_hold_for_the_expected_error_only()
    {
        var key = ClusterKey.Parse(KeyHex);
        var bytes = Wire.Encode(Samples.Ack, key);
        bytes[^1] ^= 1;
        Load("bad-tag.vec", Vector.Write("a flipped tag bit", false, KeyHex, PduText.Format(Samples.Ack), bytes, "bad-tag")).Check();
        Load("bad-tag-datagram.vec", Vector.Write(null, true, KeyHex, null, bytes, "bad-tag")).Check();

        var wrongCode = Load("wrong.vec", Vector.Write(null, false, KeyHex, null, bytes, "malformed"));
        Assert.Contains("expected malformed, got bad-tag", Assert.ThrowsAny<XunitException>(wrongCode.Check).Message, StringComparison.Ordinal);

        var good = Wire.Encode(Samples.Ack);
        Load("need-more.vec", Vector.Write("half a PDU", false, null, null, good[..(good.Length / 2)], Vector.NeedMore)).Check();
        Load("truncated.vec", Vector.Write("half a datagram", true, null, null, good[..(good.Length / 2)], "truncated")).Check();

        var decodes = Load("decodes.vec", Vector.Write(null, false, null, null, good, "malformed"));
        Assert.Contains("but it decoded as: ack id=42", Assert.ThrowsAny<XunitException>(decodes.Check).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vector_whose_text_and_hex_disagree_fails()
    {
        var bytes = Wire.Encode(Samples.Ack);
        var v = Load("mismatch.vec", Vector.Write(null, false, null, PduText.Format(Samples.Ack with { RequestId = 43 }), bytes, null));
        Assert.Contains("formats as", Assert.ThrowsAny<XunitException>(v.Check).Message, StringComparison.Ordinal);

        var extra = Load("extra.vec", Vector.Write(null, false, null, PduText.Format(Samples.Ack), [.. bytes, 0], null));
        Assert.Contains("1 bytes follow it", Assert.ThrowsAny<XunitException>(extra.Check).Message, StringComparison.Ordinal);

        var unsignedText = Load("no-key.vec", Vector.Write(null, false, KeyHex, PduText.Format(Samples.Ack), bytes, null));
        Assert.Contains("unsigned", Assert.ThrowsAny<XunitException>(unsignedText.Check).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no hex", "text: ack id=1 code=busy\n", "no hex")]
    [InlineData("neither text nor error", "hex: 00\n", "text: (positive vector) or error:")]
    [InlineData("unknown field", "hex: 00\nerror: truncated\ncolour: red\n", "unknown field 'colour'")]
    [InlineData("field twice", "hex: 00\nhex: 00\nerror: truncated\n", "appears twice")]
    [InlineData("odd hex", "hex: 0\nerror: truncated\n", "hex digits")]
    [InlineData("non-hex", "hex: zz\nerror: truncated\n", "hex digits")]
    [InlineData("unknown error", "hex: 00\nerror: exploded\n", "not an error code name")]
    [InlineData("bad transport", "hex: 00\ntransport: pigeon\nerror: truncated\n", "pigeon")]
    [InlineData("bad key", "hex: 00\nkey: 1234\nerror: truncated\n", "64 hex digits")]
    [InlineData("need-more datagram", "hex: 00\ntransport: datagram\nerror: need-more\n", "need-more")]
    [InlineData("stray continuation", "note: x\n  more\nhex: 00\nerror: truncated\n", "indented")]
    [InlineData("no colon", "hex 00\n", "field: value")]
    public void A_malformed_vector_file_is_refused_naming_the_problem(string what, string content, string mentions)
    {
        var e = Assert.Throws<FormatException>(() => Load("bad.vec", content));
        Assert.True(e.Message.Contains(mentions, StringComparison.Ordinal), $"{what}: '{e.Message}'");
        Assert.StartsWith("bad.vec", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_error_code_name_is_accepted_as_an_error()
    {
        foreach (var code in Enum.GetValues<ProtocolErrorCode>())
            Assert.Equal(code.Name(), Vector.Parse("x.vec", $"hex: 00\nerror: {code.Name()}\n").Error);
    }

    [Fact]
    public void A_folder_without_vectors_gives_one_case_that_fails()
    {
        string empty = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(empty);
        File.WriteAllText(Path.Combine(empty, "README"), "not a vector");
        var cases = ((IEnumerable<object[]>)SpecVectorTests.FilesIn(empty)).Select(row => (string)row[0]).ToArray();
        var only = Assert.Single(cases);
        Assert.Contains("holds no .vec files", Assert.ThrowsAny<XunitException>(() => SpecVectorTests.Check(empty, only)).Message, StringComparison.Ordinal);
        Assert.Single(SpecVectorTests.FilesIn(Path.Combine(_dir, "missing")));
    }

    [Fact]
    public void A_folder_of_vectors_gives_one_case_per_file()
    {
        var pdu = Samples.Ack;
        Load("b.vec", Vector.Write(null, false, null, PduText.Format(pdu), Wire.Encode(pdu), null));
        Load("a.vec", Vector.Write(null, false, null, null, Wire.Encode(pdu)[..5], Vector.NeedMore));
        var cases = ((IEnumerable<object[]>)SpecVectorTests.FilesIn(_dir)).Select(row => (string)row[0]).ToArray();
        Assert.Equal(["a.vec", "b.vec"], cases);
        foreach (var file in cases) SpecVectorTests.Check(_dir, file);
    }

    [Fact]
    public void The_repository_root_holds_the_solution_and_the_spec()
    {
        string root = SpecVectorTests.RepoRoot();
        Assert.True(File.Exists(Path.Combine(root, "Vmm.sln")));
        Assert.True(Directory.Exists(Path.Combine(root, "spec")));
    }
}
