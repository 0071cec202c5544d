using System.Text.RegularExpressions;
using Vmm.Protocol.Text;
using Vmm.Protocol.Tests.Vectors;

namespace Vmm.Protocol.Tests.Examples;

/// <summary>The table of parameters per request code is spec §8.1's, and the rule of §5.4 built on it.</summary>
public sealed partial class RequestParametersTests
{
    [Fact]
    public void The_table_is_the_parameters_column_of_spec_8_1()
    {
        var spec = File.ReadAllLines(Path.Combine(SpecVectorTests.RepoRoot(), "spec", "PROTOCOL.md"));
        int start = Array.FindIndex(spec, l => l.StartsWith("### 8.1 ", StringComparison.Ordinal));
        int checkedRows = 0;
        foreach (var line in spec.Skip(start).TakeWhile(l => !l.StartsWith("### 8.2", StringComparison.Ordinal)))
        {
            var cells = line.Split('|');
            if (cells.Length < 6 || !int.TryParse(cells[1].Trim(), out int code)) continue;
            var listed = Quoted().Matches(cells[4]).Select(m => m.Groups[1].Value).Distinct().Order().ToArray();
            var table = RequestParameters.Of((RequestCode)code).ToArray().Select(t => AttrRegistry.Find((byte)t)!.Name).Order().ToArray();
            Assert.True(listed.SequenceEqual(table), $"{Names.Of((RequestCode)code)}: spec lists [{string.Join(", ", listed)}], the table [{string.Join(", ", table)}]");
            checkedRows++;
        }
        Assert.Equal(Enum.GetValues<RequestCode>().Length, checkedRows);
    }

    [Fact]
    public void Only_critical_attributes_foreign_to_the_code_are_refused()
    {
        Assert.Null(RequestParameters.ForeignCritical(RequestCode.Pause, new AttrList().Add(AttrType.DestUri, "x")));
        Assert.Null(RequestParameters.ForeignCritical(RequestCode.Pause, new AttrList().Add(new Attr { Type = AttrType.TimeoutMs, Critical = true, Number = 5 })));
        Assert.Null(RequestParameters.ForeignCritical(RequestCode.Migrate, new AttrList().Add(new Attr { Type = AttrType.DestUri, Critical = true, Text = "x" })));
        Assert.Contains("dest-uri", RequestParameters.ForeignCritical(RequestCode.Pause,
            new AttrList().Add(new Attr { Type = AttrType.DestUri, Critical = true, Text = "x" })));
        Assert.Contains("cpus", RequestParameters.ForeignCritical(RequestCode.Ping,
            new AttrList().Add(new Attr { Type = AttrType.Cpus, Critical = true, Number = 4 })));
        var nic = new Attr { Type = AttrType.NicSpec, Nested = new AttrList().Add(AttrType.Network, "n").Add(new Attr { Type = AttrType.Size, Critical = true, Number = 1 }) };
        Assert.Contains("size has no meaning in a nic-spec", RequestParameters.ForeignCritical(RequestCode.AddNic, new AttrList().Add(nic)));
    }

    [GeneratedRegex("`([a-z-]+)`")]
    private static partial Regex Quoted();
}
