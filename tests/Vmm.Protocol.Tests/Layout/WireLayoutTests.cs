// The wire layout lives in protocol/ alone (issue 15): no consumer indexes a PDU by a byte offset, compares
// magic or version bytes, copies a record's offsets or writes a wire limit as a literal. A version-2 header or
// a new record field is then an edit in protocol/, where the vectors and the fuzzers test it. This test reads
// the product sources of hostd/, controller/ and hosting/ and names every line that breaks the rule.
using System.Text.RegularExpressions;
using Vmm.Protocol.Tests.Vectors;

namespace Vmm.Protocol.Tests.Layout;

public sealed partial class WireLayoutTests
{
    /// <summary>The folders whose code must reach the wire only through protocol/.</summary>
    private static readonly string[] Consumers = ["hostd", "controller", "hosting"];

    /// <summary>
    /// Files that read other binary layouts, which may index bytes (rules "byte-offset" and "binary-primitives"
    /// only): each says which layout. An entry no rule needs any more makes the test fail, so the list stays true.
    /// </summary>
    private static readonly Dictionary<string, string> OtherLayouts = new()
    {
        ["hostd/Internal/ConnectionAdmission.cs"] = "an IPv4-mapped IPv6 address as a 128-bit number",
        ["hostd/Libvirt/LibvirtHypervisor.Storage.cs"] = "a qcow2 image header",
        ["controller/daemon/Admin/PeerCredentials.cs"] = "the kernel's struct ucred",
        ["controller/daemon/Inventory/PeerAddress.cs"] = "a socket address",
        ["controller/daemon/Dispatch/RequestIds.cs"] = "random bytes for a request-id origin",
    };

    private sealed record Rule(string Name, string Why, Func<string, Regex> For, string Example);

    /// <summary>The rules, each with a line it must catch (so that a rule that matches nothing fails here, not silently).</summary>
    private static readonly Rule[] Rules =
    [
        new("magic", "the magic \"VM\" (0x564D) is the header's business (PduHeader)",
            _ => Magic(), "d[0] == 0x56 && d[1] == 0x4D"),
        new("header-constant", "a header field compared by hand: let PduHeader.Parse or TryParse check it",
            _ => HeaderConstant(), "d[2] == PduHeader.CurrentVersion"),
        new("byte-offset", "a literal offset into bytes: ask a header, frame or view of protocol/ for the field",
            ByteOffset, "private void OnFrame(ReadOnlySpan<byte> frame) { var type = (PduType)frame[3]; }"),
        new("body-slice", "a PDU body sliced by offset: the field has a name in protocol/'s views",
            _ => BodySlice(), "XxHash3.HashToUInt64(PduCodec.Body(frame)[8..])"),
        new("record-layout", "a VM record's layout outside protocol/: use VmRecordView",
            _ => RecordLayout(), "NameLengthAt = VmRecordView.FixedSize - 1"),
        new("offset-constant", "an offset of the wire format kept as a constant outside protocol/",
            _ => OffsetConstant(), "private const int PowerAt = 16, FlagsAt = 18;"),
        new("binary-primitives", "a field read or written by hand: only protocol/ encodes and decodes the wire format",
            _ => BinaryPrimitivesUse(), "public ushort Vcpus => BinaryPrimitives.ReadUInt16BigEndian(_record.AsSpan(VcpusAt));"),
        new("literal-limit", "a wire limit (message 1024 bytes, VM name 255) written as a number: protocol/ has it once",
            _ => LiteralLimit(), "results.Add(AttrType.Message, ErrorPdu.Truncate(message, 1024));"),
    ];

    private static readonly HashSet<string> OtherLayoutRules = ["byte-offset", "binary-primitives"];

    [Fact]
    public void No_wire_offset_magic_or_limit_appears_outside_protocol()
    {
        string root = SpecVectorTests.RepoRoot();
        var files = Consumers.SelectMany(c => SourceFiles(root, c)).ToList();
        // Not trivially true: every consumer folder was read, and every rule catches its example.
        foreach (var consumer in Consumers)
            Assert.True(files.Count(f => f.StartsWith(consumer + "/", StringComparison.Ordinal)) >= 10, $"too few .cs files found under {consumer}/");
        foreach (var rule in Rules)
            Assert.True(rule.For(rule.Example).IsMatch(rule.Example), $"rule {rule.Name} does not catch its own example: {rule.Example}");

        var hits = new List<string>();
        var exemptionsUsed = new HashSet<string>();
        foreach (var file in files)
        {
            string text = File.ReadAllText(Path.Combine(root, file));
            var lines = text.Split('\n');
            foreach (var rule in Rules)
            {
                var regex = rule.For(text);
                for (int i = 0; i < lines.Length; i++)
                {
                    string code = WithoutComment(lines[i]);
                    if (!regex.IsMatch(code)) continue;
                    if (OtherLayoutRules.Contains(rule.Name) && OtherLayouts.ContainsKey(file))
                    {
                        exemptionsUsed.Add(file);
                        continue;
                    }
                    hits.Add($"{file}:{i + 1}: {rule.Name} ({rule.Why}): {code.Trim()}");
                }
            }
        }
        Assert.True(hits.Count == 0, $"{hits.Count} line(s) outside protocol/ know the wire layout:\n" + string.Join('\n', hits));
        var stale = OtherLayouts.Keys.Except(exemptionsUsed).ToList();
        Assert.True(stale.Count == 0, "exempted but no longer reading bytes (remove from OtherLayouts): " + string.Join(", ", stale));
    }

    [Theory]
    [InlineData("if (datagram[5] == 0) return ProtocolErrorCode.Unsigned;", "ReadOnlySpan<byte> datagram")]
    [InlineData("BinaryPrimitives.ReadUInt32BigEndian(d[6..]) == (uint)d.Length", "ReadOnlySpan<byte> d")]
    [InlineData("public PowerState ReportedPower => (PowerState)Record[16];", "byte[] Record")]
    [InlineData("var h = pdu[..^16];", "Span<byte> pdu")]
    [InlineData("public Guid Uuid => new(Record.AsSpan(0, 16), bigEndian: true);", "byte[] Record")]
    public void A_literal_offset_into_a_declared_byte_buffer_is_caught(string line, string declaration) =>
        Assert.Matches(ByteOffset(declaration + ";\n" + line), line);

    [Theory]
    [InlineData("ulong digest = XxHash3.HashToUInt64(PduCodec.Body(frame)[8..]);")]
    [InlineData("ulong digest = XxHash3.HashToUInt64(frame.Body[8..]);")]
    public void A_body_sliced_by_offset_is_caught(string line) => Assert.Matches(BodySlice(), line);

    [Theory]
    [InlineData("string vm = operands[0];", "ReadOnlySpan<byte> datagram")]
    [InlineData("if (datagram.Length < 26) return;", "ReadOnlySpan<byte> datagram")]
    [InlineData("header.Type == PduType.State", "ReadOnlySpan<byte> header")]
    [InlineData("onFrame(scratch.AsSpan(0, length));", "byte[] scratch")]
    public void Indexing_what_is_not_a_byte_buffer_or_not_by_a_literal_is_not_caught(string line, string declaration) =>
        Assert.DoesNotMatch(ByteOffset(declaration + ";\n" + line), line);

    // Product sources of a folder, as paths relative to the repository root with '/' separators.
    private static IEnumerable<string> SourceFiles(string root, string folder) =>
        Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    // A line without its // comment (a comment may quote the spec's offsets); strings are kept: they are rare here.
    private static string WithoutComment(string line)
    {
        int at = line.IndexOf("//", StringComparison.Ordinal);
        return at < 0 ? line : line[..at];
    }

    // The byte buffers a file declares (fields, parameters, locals with a written type), indexed by a literal:
    // buffer[3], buffer[6..], buffer[..4], buffer[^16..], buffer.AsSpan(21), buffer.Slice(x, 16). A prefix of a
    // length known only at run time, buffer.AsSpan(0, n), is not a layout.
    private static Regex ByteOffset(string file)
    {
        var names = ByteBuffer().Matches(file).Select(m => Regex.Escape(m.Groups["name"].Value)).Distinct().ToList();
        if (names.Count == 0) return new Regex("(?!)");
        string any = string.Join('|', names);
        return new Regex($@"\b(?:{any})\s*(?:\[\s*(?:\.\.\s*)?\^?\s*\d+|\.(?:AsSpan|Slice)\(\s*(?:[1-9]\d*|[^,()]+,\s*\d+))");
    }

    [GeneratedRegex(@"(?:ReadOnlySpan<byte>|Span<byte>|ReadOnlyMemory<byte>|Memory<byte>|byte\[\])\??\s+(?<name>[A-Za-z_]\w*)")]
    private static partial Regex ByteBuffer();

    [GeneratedRegex(@"0x564[dD]\b|\b0x56\b|\b0x4[dD]\b")]
    private static partial Regex Magic();

    [GeneratedRegex(@"\bPduHeader\.(?:Magic|CurrentVersion)\b")]
    private static partial Regex HeaderConstant();

    [GeneratedRegex(@"\bPduCodec\.Body\([^()]*\)\s*\[|\.Body\s*\[\s*\^?\s*\d")]
    private static partial Regex BodySlice();

    [GeneratedRegex(@"\bFixedSize\b")]
    private static partial Regex RecordLayout();

    [GeneratedRegex(@"\bconst\s+int\b[^;]*\b\w+At\s*=\s*\d+")]
    private static partial Regex OffsetConstant();

    [GeneratedRegex(@"\bBinaryPrimitives\.")]
    private static partial Regex BinaryPrimitivesUse();

    [GeneratedRegex(@"\bTruncate\([^()]*,\s*\d+\s*\)")]
    private static partial Regex LiteralLimit();
}
