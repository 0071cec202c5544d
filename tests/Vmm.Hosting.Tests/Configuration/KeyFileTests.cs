// The daemons' key files (spec §3.3): a controller takes only the master key, a hostd only its own host key;
// anything else stops the daemon with one line saying what to do.
using Vmm.Hosting.Configuration;
using Vmm.Protocol;

namespace Vmm.Hosting.Tests.Configuration;

public sealed class KeyFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmm-keyfile-").FullName;
    private static readonly ClusterKey Master = ClusterKey.Generate();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string text)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("n"));
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_hostd_loads_its_own_host_key()
    {
        var key = Master.DeriveHostKey("hv-01");
        Assert.Equal(key.ToHex(), KeyFile.LoadHost(Write(new KeyFileContents(key, "hv-01").ToFileText()), "hv-01").ToHex());
    }

    [Fact]
    public void A_hostd_refuses_the_master_key()
    {
        var e = Assert.Throws<ConfigException>(() => KeyFile.LoadHost(Write(Master.ToFileText()), "hv-01"));
        Assert.Contains("holds the cluster master key, which no hostd may hold", e.Message);
        Assert.Contains("vmmctl key derive hv-01", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void A_hostd_refuses_the_key_of_another_host()
    {
        var path = Write(new KeyFileContents(Master.DeriveHostKey("hv-02"), "hv-02").ToFileText());
        var e = Assert.Throws<ConfigException>(() => KeyFile.LoadHost(path, "hv-01"));
        Assert.Contains("holds the host key of hv-02, but this host is hv-01", e.Message);
    }

    [Fact]
    public void A_controller_refuses_a_host_key_and_takes_the_version_1_form_as_the_master()
    {
        var e = Assert.Throws<ConfigException>(() => KeyFile.LoadMaster(Write(new KeyFileContents(Master, "hv-01").ToFileText())));
        Assert.Contains("a controller needs the cluster master key", e.Message);
        Assert.Equal(Master.ToHex(), KeyFile.LoadMaster(Write(Master.ToHex() + "\n")).ToHex());
    }

    [Fact]
    public void The_check_config_lines_show_both_key_ids()
    {
        var next = ClusterKey.Generate();
        string lines = new KeyFile.Loaded(Master, next, "the cluster master key").Describe();
        Assert.Contains($"# key-file holds the cluster master key, key id 0x{Master.Id:x2}", lines);
        Assert.Contains($"# second-key-file holds the cluster master key, key id 0x{next.Id:x2}", lines);
    }
}
