using Vmm.Hosting.Configuration;
using Vmm.Hosting.Tests.Support;
using static Vmm.Hosting.Tests.Support.TestSchema;

namespace Vmm.Hosting.Tests.Configuration;

/// <summary>TOML and INI say the same things; sections map to dotted names; each key keeps its line.</summary>
public sealed class FileFormatTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Toml = """
        # a comment
        libvirt-uri = "test:///default"
        listen = "[::1]:7500"
        controllers = ["10.0.0.1", "ctl.example:7000"]
        heartbeat-interval = "500ms"
        verbose = true

        [tcp]
        max-connections = 12
        """;

    private const string Ini = """
        ; a comment
        libvirt-uri = test:///default
        listen = "[::1]:7500"
        controllers = 10.0.0.1, ctl.example:7000
        heartbeat-interval = 500ms
        verbose = true

        [tcp]
        max-connections = 12
        """;

    [Fact]
    public void Toml_and_ini_files_with_the_same_settings_give_the_same_values_and_lines()
    {
        var fromToml = Load(_dir.Write("a.toml", Toml));
        var fromIni = Load(_dir.Write("b.ini", Ini));

        foreach (var key in Schema.Keys)
        {
            Assert.Equal(fromToml[key].Text, fromIni[key].Text);
            Assert.Equal(fromToml.SourceOf(key).Replace("a.toml", "b.ini"), fromIni.SourceOf(key));
        }
        Assert.Equal([new HostPort("10.0.0.1", 7400), new HostPort("ctl.example", 7000)], fromToml.Get(Controllers));
        Assert.Equal(12, fromIni.Get(MaxConnections));
        Assert.Equal(_dir["b.ini"] + ":9", fromIni.SourceOf(MaxConnections));
        Assert.Equal(TimeSpan.FromMilliseconds(500), fromIni.Get(HeartbeatInterval));
    }

    [Theory]
    [InlineData("tcp.max-connections = 7\n")]
    [InlineData("tcp = { max-connections = 7 }\n")]
    [InlineData("[tcp]\nmax-connections = 7\n")]
    [InlineData("\"tcp\".'max-connections' = 7\n")]
    public void Toml_sections_dotted_keys_and_inline_tables_all_name_the_same_setting(string text)
    {
        Assert.Equal(7, Load(_dir.Write("a.toml", text)).Get(MaxConnections));
    }

    [Theory]
    [InlineData("tcp.max-connections = 7\n")]
    [InlineData("[tcp]\nmax-connections = 7\n")]
    [InlineData("[ tcp ]\n  max-connections=7  \n")]
    public void Ini_sections_and_dotted_keys_name_the_same_setting(string text)
    {
        Assert.Equal(7, Load(_dir.Write("a.ini", text)).Get(MaxConnections));
    }

    [Fact]
    public void Ini_file_with_crlf_line_ends_reads_and_counts_lines()
    {
        var config = Load(_dir.Write("a.ini", "# c\r\nverbose = on\r\nlisten = 127.0.0.1:5\r\n"));
        Assert.True(config.Get(Verbose));
        Assert.Equal(_dir["a.ini"] + ":3", config.SourceOf(Listen));
    }

    [Fact]
    public void File_extension_decides_the_format_and_an_unknown_one_is_an_error()
    {
        var yaml = _dir.Write("x.yaml", "listen: 1\n");
        Assert.Equal($"{yaml}: unknown file type .yaml (name it .toml or .ini)", Error(_dir["none.toml"], null, "--config", yaml));
    }

    [Fact]
    public void Upper_case_extension_is_recognised()
    {
        Assert.True(Load(_dir.Write("X.TOML", "verbose = true\n")).Get(Verbose));
    }
}
