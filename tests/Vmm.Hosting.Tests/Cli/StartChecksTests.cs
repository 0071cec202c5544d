// --check-config checks what a start checks, short of the network: a configuration it passes does not fail at
// start for its key file, its listen address or its log file. Through each daemon's own Load, as Main calls it.
using Vmm.Controller;
using Vmm.Hostd;
using Vmm.Hosting.Cli;
using Vmm.Hosting.Tests.Support;
using Vmm.Protocol;

namespace Vmm.Hosting.Tests.Cli;

public sealed class StartChecksTests : IDisposable
{
    private readonly TempDir _dir = new();

    public static TheoryData<string> Daemons => new("hostd", "controller");

    private (int Code, string Out, string Err) Check(string daemon, params string[] args)
    {
        string none = _dir.Write("none.toml", "");
        string[] all = ["--config", none, "--listen", "127.0.0.1:0", .. (daemon == "hostd" ? new[] { "--host-name", Host } : []), .. args, "--check-config"];
        var env = new Dictionary<string, string?>();
        return daemon == "hostd" ? Exit(HostdSettings.Load(all, env)) : Exit(ControllerSettings.Load(all, env));
    }

    private static (int, string, string) Exit<T>(Startup<T> start) where T : class
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        int code = start.Exit(o, e);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>The host-name every hostd here runs with, and its key's.</summary>
    private const string Host = "hv-check";

    /// <summary>A key file of the kind <paramref name="daemon"/> holds: the master (controller), or the host key of
    /// <see cref="Host"/> (hostd, spec §3.3).</summary>
    private string Key(string daemon, string name = "daemon.key", UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead)
    {
        var master = ClusterKey.Generate();
        var contents = daemon == "hostd" ? new KeyFileContents(master.DeriveHostKey(Host), Host) : new KeyFileContents(master, null);
        string path = _dir.Write(name, contents.ToFileText());
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static void OneLineError(string daemon, (int Code, string Out, string Err) r, string says)
    {
        Assert.Equal(2, r.Code);
        Assert.Equal("", r.Out);
        Assert.Single(r.Err.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"vmm-{daemon}: ", r.Err);
        Assert.Contains(says, r.Err);
    }

    [Theory, MemberData(nameof(Daemons))]
    public void A_good_key_passes_and_the_listing_follows(string daemon)
    {
        var r = Check(daemon, "--key-file", Key(daemon));
        Assert.Equal(0, r.Code);
        Assert.Contains("key-file", r.Out);
        // The key id each file holds (spec §3.3), after the settings.
        Assert.Matches(daemon == "hostd" ? "(?m)^# key-file holds the host key of hv-check, key id 0x[0-9a-f]{2}$"
            : "(?m)^# key-file holds the cluster master key, key id 0x[0-9a-f]{2}$", r.Out);
        Assert.Equal("", r.Err);
    }

    [Theory, MemberData(nameof(Daemons))]
    public void A_missing_key_file_is_one_line_and_exit_2(string daemon)
    {
        string missing = _dir["nonexistent.key"];
        OneLineError(daemon, Check(daemon, "--key-file", missing), $"--key-file: cannot read key file {missing}");
    }

    [Theory, MemberData(nameof(Daemons))]
    public void A_malformed_key_file_is_one_line_and_exit_2(string daemon)
    {
        string bad = _dir.Write("bad.key", "not a key\n");
        var r = Check(daemon, "--key-file", bad);
        OneLineError(daemon, r, $"--key-file: key file {bad} key line must be `master HEX` or `host NAME HEX`");
        Assert.Contains(daemon == "hostd" ? $"vmmctl key derive {Host} --key-file MASTER {bad}" : $"vmmctl key generate {bad}", r.Err);
    }

    [Fact]
    public void A_key_of_the_wrong_kind_or_host_is_one_line_and_exit_2()
    {
        // A hostd never holds the master; a controller never a host key; a hostd only its own host's key.
        OneLineError("hostd", Check("hostd", "--key-file", Key("controller", "master.key")), "holds the cluster master key, which no hostd may hold");
        OneLineError("controller", Check("controller", "--key-file", Key("hostd", "host.key")), "a controller needs the cluster master key");
        OneLineError("hostd", Check("hostd", "--key-file", Key("hostd", "other.key"), "--host-name", "hv-other"), "but this host is hv-other");
    }

    [Theory, MemberData(nameof(Daemons))]
    public void A_key_file_set_in_a_file_is_located_there(string daemon)
    {
        string file = _dir.Write("daemon.toml", $"key-file = \"{_dir["nonexistent.key"]}\"\n");
        var r = Check(daemon, "--config", file);
        OneLineError(daemon, r, $"{file}:1: key-file: cannot read key file");
    }

    [Theory, MemberData(nameof(Daemons))]
    public void A_key_file_others_can_read_is_a_warning_not_an_error(string daemon)
    {
        string key = Key(daemon, "open.key", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var r = Check(daemon, "--key-file", key);
        Assert.Equal(0, r.Code);
        Assert.Equal($"vmm-{daemon}: warning: key-file {key} is readable by every user of this machine (mode 0644): chmod o-r {key}\n", r.Err);
    }

    [Theory, MemberData(nameof(Daemons))]
    public void A_listen_address_of_another_machine_is_refused(string daemon)
    {
        // 192.0.2.0/24 (TEST-NET-1, RFC 5737) is on no interface of this machine.
        var r = Check(daemon, "--key-file", Key(daemon), "--listen", "192.0.2.77:7000");
        OneLineError(daemon, r, "--listen: 192.0.2.77 is not an address of this machine");
    }

    [Fact]
    public void A_port_in_use_is_a_warning_only_as_the_running_daemon_holds_it()
    {
        using var held = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        held.Start();
        int port = ((System.Net.IPEndPoint)held.LocalEndpoint).Port;
        var r = Check("hostd", "--key-file", Key("hostd"), "--listen", $"127.0.0.1:{port}");
        Assert.Equal(0, r.Code);
        Assert.Contains($"TCP port {port} is in use now", r.Err);
    }

    [Theory, MemberData(nameof(Daemons))]
    public void A_log_file_in_a_missing_folder_is_refused(string daemon)
    {
        string log = _dir["no-such-folder/daemon.log"];
        OneLineError(daemon, Check(daemon, "--key-file", Key(daemon), "--log-file", log), $"the folder {Path.GetDirectoryName(log)} does not exist");
    }

    [Fact]
    public void An_admin_group_that_does_not_exist_is_refused()
    {
        OneLineError("controller", Check("controller", "--key-file", Key("controller"), "--admin-group", "no-such-group-vmm"),
            "no group named no-such-group-vmm");
    }

    [Fact]
    public void The_start_refuses_what_check_config_refuses()
    {
        var start = HostdSettings.Load(["--config", _dir.Write("none.toml", ""), "--key-file", _dir["nonexistent.key"]], new Dictionary<string, string?>());
        Assert.False(start.ShouldRun);
        Assert.Equal(2, start.ExitCode);
        Assert.Contains("cannot read key file", start.Error);
    }

    [Fact]
    public void A_start_logs_the_warnings_of_its_checks()
    {
        string key = Key("hostd", "open.key", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var start = HostdSettings.Load(["--config", _dir.Write("none.toml", ""), "--key-file", key, "--host-name", Host, "--listen", "127.0.0.1:0"],
            new Dictionary<string, string?>());
        Assert.True(start.ShouldRun, start.Error);
        Assert.Contains(start.Warnings, w => w.Contains("readable by every user"));
    }

    public void Dispose() => _dir.Dispose();
}
