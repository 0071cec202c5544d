using Vmm.Protocol;
using Xunit;

namespace Vmm.Ctl.Tests;

/// <summary>The command line's surface: help, version, usage errors, exit codes, key generation.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmmctl-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Version_prints_the_version()
    {
        var r = Vmmctl.Run("--version");
        Assert.Equal(0, r.Exit);
        Assert.Matches(@"^vmmctl \d+\.\d+\.\d+\n$", r.Text);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("pdu", "--help")]
    [InlineData("key", "--help")]
    public void Help_exits_0_and_shows_usage(params string[] args)
    {
        var r = Vmmctl.Run(args);
        Assert.Equal(0, r.Exit);
        Assert.Contains("Usage: vmmctl", r.Text);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("pdu", "transmogrify")]
    [InlineData("pdu", "decode", "--verify")]
    [InlineData("pdu", "decode", "--bogus")]
    [InlineData("pdu", "listen", "notaport")]
    [InlineData("key", "rotate")]
    public void Usage_errors_exit_2_with_one_line(params string[] args)
    {
        var r = Vmmctl.Run(args);
        Assert.Equal(2, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
    }

    [Fact]
    public void No_arguments_shows_help_and_exits_2() => Assert.Equal(2, Vmmctl.Run().Exit);

    [Fact]
    public void Key_generate_writes_a_0640_key_and_refuses_to_overwrite_it()
    {
        var path = Path.Combine(_dir, "cluster.key");
        var r = Vmmctl.Run("key", "generate", path);
        Assert.Equal(0, r.Exit);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
        var key = ClusterKey.Load(path);
        Assert.Contains($"0x{key.Id:x2}", r.Stderr);

        var again = Vmmctl.Run("key", "generate", path);
        Assert.Equal(1, again.Exit);
        Assert.Contains("--force", again.Stderr);
        Assert.Equal(key.ToFileText(), ClusterKey.Load(path).ToFileText());

        Assert.Equal(0, Vmmctl.Run("key", "generate", path, "--force").Exit);
        Assert.NotEqual(key.ToFileText(), ClusterKey.Load(path).ToFileText());
    }

    [Fact]
    public void Key_generate_makes_the_missing_folders_0750()
    {
        var path = Path.Combine(_dir, "new", "vmm", "cluster.key");
        var r = Vmmctl.Run("key", "generate", path);
        Assert.True(r.Exit == 0, r.Text);
        ClusterKey.Load(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
        var folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
        Assert.Equal(folder, File.GetUnixFileMode(Path.Combine(_dir, "new", "vmm")));
        Assert.Equal(folder, File.GetUnixFileMode(Path.Combine(_dir, "new")));
    }

    [Fact]
    public void Key_generate_where_no_file_can_be_made_is_one_line()
    {
        // A regular file where a folder would have to be.
        File.WriteAllText(Path.Combine(_dir, "plain"), "");
        var r = Vmmctl.Run("key", "generate", Path.Combine(_dir, "plain", "cluster.key"));
        Assert.Equal(1, r.Exit);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("vmmctl: cannot write ", line);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Key_generate_without_a_file_prints_a_key()
    {
        var r = Vmmctl.Run("key", "generate");
        Assert.Equal(0, r.Exit);
        var key = ClusterKey.Parse(r.Text);
        Assert.NotEqual(0, key.Id);
    }

    [Fact]
    public void Key_derive_writes_a_0640_host_key_file_from_the_master_and_refuses_a_host_key_as_master()
    {
        var master = Path.Combine(_dir, "master.key");
        Assert.Equal(0, Vmmctl.Run("key", "generate", master).Exit);
        var path = Path.Combine(_dir, "hv-01.key");
        var r = Vmmctl.Run("key", "derive", "hv-01", "--key-file", master, path);
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
        var written = KeyFileContents.Load(path);
        Assert.Equal("hv-01", written.Host);
        Assert.Equal(ClusterKey.Load(master).DeriveHostKey("hv-01").ToHex(), written.Key.ToHex());
        Assert.Contains($"key id 0x{written.Key.Id:x2}", r.Stderr);

        var fromHost = Vmmctl.Run("key", "derive", "hv-02", "--key-file", path);
        Assert.Equal(1, fromHost.Exit);
        Assert.Contains("derived from the cluster master key", fromHost.Stderr);
        Assert.Equal(2, Vmmctl.Run("key", "derive", "-bad", "--key-file", master).Exit);
        Assert.Equal(2, Vmmctl.Run("key", "derive", "hv-01").Exit);
    }
}
