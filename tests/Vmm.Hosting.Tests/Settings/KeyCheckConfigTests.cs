// --check-config on both daemons reads the key files too (spec §3.3): it ends with the key id of each, and a key
// of the wrong kind is the same one line and exit 2 as at start.
using Vmm.Controller;
using Vmm.Hostd;
using Vmm.Hosting.Tests.Support;
using Vmm.Protocol;

namespace Vmm.Hosting.Tests.Settings;

public sealed class KeyCheckConfigTests : IDisposable
{
    private readonly TempDir _dir = new();
    private static readonly ClusterKey Master = ClusterKey.Generate();

    public void Dispose() => _dir.Dispose();

    private static Dictionary<string, string?> NoEnv => [];

    [Fact]
    public void The_controller_shows_its_master_key_ids_and_refuses_a_host_key()
    {
        string config = _dir.Write("c.toml", "");
        string master = _dir.Write("cluster.key", Master.ToFileText());
        string next = _dir.Write("cluster-2.key", ClusterKey.Generate().ToFileText());
        var start = ControllerSettings.Load(["--config", config, "--check-config", "--key-file", master, "--second-key-file", next], NoEnv);
        Assert.Equal(0, start.ExitCode);
        Assert.Contains($"# key-file holds the cluster master key, key id 0x{Master.Id:x2}\n", start.Output);
        Assert.Contains("# second-key-file holds the cluster master key, key id 0x", start.Output);

        string host = _dir.Write("host.key", new KeyFileContents(Master.DeriveHostKey("hv-01"), "hv-01").ToFileText());
        start = ControllerSettings.Load(["--config", config, "--check-config", "--key-file", host], NoEnv);
        Assert.Equal(2, start.ExitCode);
        Assert.StartsWith("vmm-controller: --key-file: ", start.Error);
        Assert.Single(start.Error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Hostd_shows_its_host_key_id_and_refuses_the_master()
    {
        string config = _dir.Write("h.toml", "");
        var key = Master.DeriveHostKey("hv-01");
        string host = _dir.Write("host.key", new KeyFileContents(key, "hv-01").ToFileText());
        var start = HostdSettings.Load(["--config", config, "--check-config", "--host-name", "hv-01", "--key-file", host], NoEnv);
        Assert.Equal(0, start.ExitCode);
        Assert.Contains($"# key-file holds the host key of hv-01, key id 0x{key.Id:x2}\n", start.Output);
        Assert.Contains("# second-key-file: none", start.Output);

        string master = _dir.Write("cluster.key", Master.ToFileText());
        start = HostdSettings.Load(["--config", config, "--check-config", "--host-name", "hv-01", "--key-file", master], NoEnv);
        Assert.Equal(2, start.ExitCode);
        Assert.Contains("which no hostd may hold", start.Error);

        // Not there: refused as a start would refuse it (exit 2, one line), saying how to make it.
        start = HostdSettings.Load(["--config", config, "--check-config", "--host-name", "hv-01", "--key-file", _dir.Path + "/none.key"], NoEnv);
        Assert.Equal(2, start.ExitCode);
        Assert.Single(start.Error.TrimEnd('\n').Split('\n'));
        Assert.Contains("(make one with `vmmctl key derive hv-01 --key-file MASTER", start.Error);
    }
}
