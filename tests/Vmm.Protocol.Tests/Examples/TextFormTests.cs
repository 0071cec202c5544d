// The text form (spec §10): examples, and the one-line errors a user sees for bad input.
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Tests.Support;
using Vmm.Protocol.Text;

namespace Vmm.Protocol.Tests.Examples;

public sealed class TextFormTests
{
    [Theory]
    [MemberData(nameof(Samples.Types), MemberType = typeof(Samples))]
    public void Every_sample_round_trips_through_its_text_unsigned_and_signed(string type)
    {
        var pdu = Samples.Of(type);
        Assert.Equal(pdu, PduText.Parse(PduText.Format(pdu)));
        var signed = PduCodec.Decode(Wire.Encode(pdu, ClusterKey.Generate()));
        string text = PduText.Format(signed);
        Assert.Matches(" tag=[0-9a-f]{2}:[0-9a-f]{32}$", text);
        Assert.Equal(signed, PduText.Parse(text));
    }

    [Fact]
    public void Separators_are_any_run_of_spaces_and_tabs_and_hex_is_either_case()
    {
        // spec §10: a tab right after a bare value was refused ("needs quotes") while one before a field was taken.
        var canonical = PduText.Parse("ack id=42 boot=0x00000000000000ab code=busy");
        Assert.Equal(canonical, PduText.Parse("ack\tid=42  boot=0x00000000000000AB\tcode=busy\t"));
        Assert.Equal("ack id=42 boot=0x00000000000000ab code=busy", PduText.Format(canonical));
        Assert.Equal("", Assert.IsType<Vmm.Protocol.Pdus.AckPdu>(PduText.Parse("ack id=1 code=failure message=")).Results.Text(AttrType.Message));
        Assert.Throws<FormatException>(() => PduText.Parse("ack id= code=busy"));
    }

    [Fact]
    public void The_text_form_reads_like_the_spec()
    {
        Assert.Equal("ack id=42 code=busy", PduText.Format(new AckPdu { RequestId = 42, Code = AckCode.Busy }));
        Assert.Equal("request id=7 code=ping", PduText.Format(new RequestPdu { RequestId = 7, Code = RequestCode.Ping }));
        Assert.Equal("request id=7 code=200", PduText.Format(new RequestPdu { RequestId = 7, Code = (RequestCode)200 }));
        Assert.Equal(
            "request id=1 code=stop flags=force uuid=0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20 timeout-ms=5000",
            PduText.Format(new RequestPdu { RequestId = 1, Code = RequestCode.Stop, Flags = RequestFlags.Force, Vm = Samples.VmUuid, Parameters = new AttrList().Add(AttrType.TimeoutMs, 5000) }));
    }

    [Fact]
    public void Text_needing_quotes_is_quoted_with_hex_escapes()
    {
        var pdu = new AckPdu { RequestId = 1, Code = AckCode.Failure, Results = new AttrList().Add(AttrType.Message, "say \"caf\u00e9\" \\ now") };
        string text = PduText.Format(pdu);
        Assert.Equal("ack id=1 code=failure message=\"say \\\"caf\\xc3\\xa9\\\" \\\\ now\"", text);
        Assert.Equal(pdu, PduText.Parse(text));
    }

    [Fact]
    public void Names_parse_as_well_as_numbers_and_unknown_values_stay_numbers()
    {
        var a = (AckPdu)PduText.Parse("ack id=1 code=4");
        Assert.Equal(AckCode.Busy, a.Code);
        Assert.Equal("ack id=1 code=busy", PduText.Format(a));
        var q = (AdminQueryPdu)PduText.Parse("query what=0x09");
        Assert.Equal((QueryKind)9, q.What);
        Assert.Equal("query what=9", PduText.Format(q));
    }

    // ---- Errors: a FormatException whose message is one line and points at the problem. ----

    public static TheoryData<string, string, string> BadLines() => new()
    {
        { "unknown keyword", "frobnicate id=1", "frobnicate" },
        { "empty line", "", "keyword" },
        { "unknown field", "request id=1 code=start bogus=1", "bogus" },
        { "unknown field in a record", "state host=h boot=1 seq=1 vm={uuid=0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20 power=running colour=red}", "colour" },
        { "unknown field in a disk", "vm host=h vm={uuid=0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20 power=off disk={target=vda speed=1}}", "speed" },
        { "missing request id", "request code=start", "id" },
        { "missing code", "ack id=1", "code" },
        { "missing host", "state boot=1 seq=1", "host" },
        { "missing record uuid", "vm host=h vm={power=off}", "uuid" },
        { "missing record", "vm host=h", "vm" },
        { "field twice", "request id=1 id=2 code=start", "twice" },
        { "bad number", "request id=abc code=start", "abc" },
        { "negative number", "request id=-1 code=start", "-1" },
        { "number out of range", "request id=18446744073709551616 code=start", "18446744073709551616" },
        { "u16 out of range", "request id=1 code=start vcpus=65536", "65536" },
        { "u8 out of range", "request id=1 code=start snapshot-op=256", "256" },
        { "bad enum", "request id=1 code=launch", "launch" },
        { "enum number out of range", "request id=1 code=256", "256" },
        { "bad flag", "request id=1 code=stop flags=gently", "gently" },
        { "bad uuid", "request id=1 code=start uuid=0b9e0c3a", "uuid" },
        { "uuid in braces", "request id=1 code=start uuid={0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20}", "name=value" },
        { "bad MAC", "request id=1 code=add-nic mac=52:54:00:12:34", "MAC" },
        { "bad MAC digit", "request id=1 code=add-nic mac=52:54:00:12:34:zz", "MAC" },
        { "unbalanced open brace", "request id=1 code=add disk-spec={target=vda", "}" },
        { "unbalanced close brace", "request id=1 code=start }", "}" },
        { "unterminated quote", "request id=1 code=start message=\"abc", "quote" },
        { "bad escape", "request id=1 code=start message=\"a\\qb\"", "escape" },
        { "short hex escape", "request id=1 code=start message=\"a\\x4\"", "escape" },
        { "escape at the end", "request id=1 code=start message=\"a\\", "escape" },
        { "bad tag", "ack id=1 code=busy tag=zz:00", "tag" },
        { "bad unknown attribute value", "request id=1 code=start x7d=abc", "hex" },
        { "list where a value is expected", "request id=1 code={x=1}", "single value" },
        { "value where a list is expected", "request id=1 code=add disk-spec=vda", "list" },
        { "character needing quotes", "request id=1 code=start message=a\"b", "quotes" },
        { "no equals sign", "request id=1 code=start force", "name=value" },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public void A_bad_line_is_a_FormatException_with_a_one_line_message(string what, string line, string mentions)
    {
        var e = Assert.Throws<FormatException>(() => PduText.Parse(line));
        Wire.AssertOneLine(e.Message);
        Assert.True(e.Message.Contains(mentions, StringComparison.Ordinal), $"{what}: '{e.Message}' does not mention '{mentions}'");
    }

    /// <summary>
    /// Bug (PduTextParser.cs, Lexer.Value and FieldSet messages): a message quotes the offending character or
    /// value raw, so a newline or CR in the input makes a two-line error.
    /// </summary>
    [Theory]
    [InlineData("request id=1 code=start message=a\nb")]                     // "character '\n' ... needs quotes"
    [InlineData("request id=\"1\\x0a2\" code=start")]                         // bad number quoting "1\n2"
    [InlineData("request id=1 code=\"st\\x0dart\"")]                          // bad enum
    [InlineData("request id=1 code=start uuid=\"0b9e0c3a\\x0a\"")]            // bad uuid
    [InlineData("request id=1 code=start message=\"a\\\nb\"")]                // "unknown escape '\<newline>'"
    public void Errors_quoting_the_input_stay_on_one_line(string line)
    {
        var e = Assert.Throws<FormatException>(() => PduText.Parse(line));
        Wire.AssertOneLine(e.Message);
    }

    /// <summary>
    /// Bug (PduTextParser.cs, Lexer.Quoted, lines 336-339): a lone high surrogate inside quotes followed by a
    /// non-ASCII character encodes to more than the 4-byte scratch buffer and throws ArgumentException.
    /// </summary>
    [Fact]
    public void Lone_surrogates_in_quotes_are_a_FormatException()
    {
        // Not a [Theory]: xunit's test-case serialization turns lone surrogates into U+FFFD.
        foreach (string line in new[]
        {
            "request id=1 code=start message=\"\ud800\ud800\"",
            "request id=1 code=start message=\"\ud800\u65e5\"",
            "query g=\"\ud800\u65e5",
        })
        {
            var e = Assert.Throws<FormatException>(() => PduText.Parse(line));
            Wire.AssertOneLine(e.Message);
        }
    }

    /// <summary>
    /// Bug (PduText.Format / PduTextParser FieldSet.Take): an attribute whose registry name is also a fixed field
    /// of the same level (state: host; VM record: name, vcpus, memory; admin host: name; admin vm: host) is
    /// formatted as a second "name=" and Parse then refuses the line or takes the attribute for the field.
    /// The wire accepts these PDUs, so Parse(Format(x)) must give x back.
    /// </summary>
    public static TheoryData<string, Pdu> Collisions() => new()
    {
        { "state facts: host", new StatePdu { BootId = 1, Sequence = 1, Host = "hv1", Facts = new AttrList().Add(AttrType.Host, "hv2") } },
        { "record attrs: name (VM name set)", Samples.State with { Vms = [Samples.RunningVm with { Attributes = new AttrList().Add(AttrType.Name, "web") }] } },
        { "record attrs: name (VM name empty)", Samples.State with { Vms = [Samples.RunningVm with { Name = "", Attributes = new AttrList().Add(AttrType.Name, "web") }] } },
        { "record attrs: vcpus", Samples.AdminVm with { Vm = Samples.RunningVm with { Attributes = new AttrList().Add(AttrType.Vcpus, 4) } } },
        { "record attrs: memory (record memory 0)", Samples.AdminVm with { Vm = Samples.RunningVm with { MemoryKib = 0, Attributes = new AttrList().Add(AttrType.Memory, 4) } } },
        { "admin host attrs: name", Samples.Host with { Attributes = new AttrList().Add(AttrType.Name, "other") } },
        { "admin vm attrs: host", Samples.AdminVm with { Attributes = new AttrList().Add(AttrType.Host, "hv2") } },
    };

    [Theory]
    [MemberData(nameof(Collisions))]
    public void Attributes_named_like_a_fixed_field_round_trip(string what, Pdu pdu)
    {
        Assert.Equal(pdu, PduCodec.Decode(Wire.Encode(pdu))); // valid on the wire
        string text = PduText.Format(pdu);
        Pdu back;
        try { back = PduText.Parse(text); }
        catch (FormatException e) { throw new Xunit.Sdk.XunitException($"{what}: Parse(Format(x)) threw '{e.Message}' for: {text}"); }
        Assert.True(pdu.Equals(back), $"{what}: Parse(Format(x)) != x for: {text}\n back: {PduText.Format(back)}");
    }

    [Fact]
    public void Deep_brace_nesting_parses_or_is_a_FormatException()
    {
        // Far deeper than the wire allows (at most vm={disk-spec={...}}). About 100,000 levels overflow the stack
        // today and kill the process, which no test can catch in-process: see the report to the lead.
        string line = "request id=1 code=start " + string.Concat(Enumerable.Repeat("disk-spec={", 2000)) + new string('}', 2000);
        try { PduText.Parse(line); }
        catch (FormatException e) { Wire.AssertOneLine(e.Message); }
    }
}
