using System.Text.Json;
using System.Text.RegularExpressions;

namespace Vmm.Packaging.Tests;

/// <summary>
/// The .deb packages installed for real, maintainer scripts and all, in a throwaway copy of this machine
/// (tests/tools/deb-install.sh; see <see cref="DebInstall"/>): what an operator finds after installing,
/// upgrading and purging them, and the installed daemons running as user vmm. Needs root, unshare and
/// overlayfs: without them these tests fail, saying which is missing.
/// </summary>
[Collection("packages")]
[Trait("Needs", "root")]
public sealed partial class DebInstallTests(PackagesFixture packages)
{
    private const string Key = "/etc/vmm/cluster.key";
    private const string HostKey = "/etc/vmm/host.key";
    private const string HostName = "vmm-deb-install";

    private DebInstall Run => DebInstall.Of(packages);

    [Fact]
    public void The_machine_is_left_as_it_was()
    {
        var run = Run;
        run.AssertCompleted();
        Assert.True(run.Before == run.After,
            $"the install in the copy changed the machine:\nbefore: {run.Before}\nafter:  {run.After}");
        // The copy really had them (a run that installed nothing would leave the machine alone too).
        run.AssertEqual("ii", "controller.vmm-controller.status");
    }

    [Fact]
    public void Controller_install_makes_the_system_user_and_group_vmm()
    {
        var run = Run;
        var user = run["controller.passwd"].Split(':');
        var group = run["controller.group"].Split(':');
        run.AssertThat(user.Length == 7 && group.Length == 4, "getent passwd vmm and getent group vmm: no such user or group");
        int uid = int.Parse(user[2]), gid = int.Parse(user[3]);
        // Debian's range for system users that packages create (Policy 9.2.2: 100-999).
        run.AssertThat(uid is >= 100 and <= 999, $"user vmm has uid {uid}, not a system uid (100-999)");
        run.AssertThat(gid == int.Parse(group[2]), $"user vmm's primary group is {gid}, not group vmm ({group[2]})");
        run.AssertThat(user[5] == "/nonexistent" && user[6] == "/usr/sbin/nologin",
            $"user vmm has home {user[5]} and shell {user[6]}, not /nonexistent and /usr/sbin/nologin");
    }

    [Fact]
    public void Controller_install_makes_a_cluster_master_key_only_root_and_group_vmm_read()
    {
        var run = Run;
        run.AssertEqual("640 root vmm", "controller.key.stat");
        run.AssertThat(MasterKey().IsMatch(run["controller.key.line"]),
            $"{Key} does not hold a master key line (master and 64 hex digits): '{run["controller.key.line"]}'");
        run.AssertEqual("absent", "controller.hostkey.stat");
        // The installed daemon as a user outside group vmm cannot read it, and says so.
        run.AssertEqual("2", "controller.nobody.exit");
        run.AssertThat(run["controller.nobody.output"].Contains($"cannot read key file {Key}", StringComparison.Ordinal),
            $"vmm-controller as nobody: '{run["controller.nobody.output"]}', expected it cannot read {Key}");
    }

    [Fact]
    public void Controller_install_registers_the_conffile_and_enables_the_unit()
    {
        var run = Run;
        run.AssertEqual(string.Join(' ', Contents.Conffiles("vmm-controller").Select(f => "/" + f)), "controller.vmm-controller.conffiles");
        // logrotate reads the shipped file without complaint (a dry run, with user vmm in place).
        run.AssertEqual("0", "controller.logrotate.exit");
        run.AssertEqual("", "controller.logrotate.errors");
        run.AssertEqual("/lib/systemd/system/vmm-controller.service", "controller.vmm-controller.wants");
    }

    [Fact]
    public void Controller_install_puts_the_sysctl_drop_in_man_pages_and_completion_in_place()
    {
        var run = Run;
        var files = run.List("controller.vmm-controller.files");
        foreach (var path in new[]
        {
            "/usr/bin/vmm-controller", "/usr/bin/vmmctl", "/usr/lib/sysctl.d/30-vmm-controller.conf",
            "/usr/share/man/man8/vmm-controller.8.gz", "/usr/share/man/man1/vmmctl.1.gz",
            "/usr/share/bash-completion/completions/vmmctl", "/usr/lib/sysusers.d/vmm-controller.conf",
        })
            run.AssertThat(files.Contains(path), $"{path} is not installed (dpkg -L and the file system)");
    }

    [Fact]
    public void Installed_controller_runs_as_vmm_with_the_installed_key_and_answers_vmmctl()
    {
        var run = Run;
        run.AssertEqual(run["controller.passwd"].Split(':')[2], "controller.run.uid");
        var hosts = HostNames(run, "controller.run.host_list");
        run.AssertThat(hosts.Length == 0, $"vmmctl host list: {string.Join(", ", hosts)}, expected no host yet");
        run.AssertEqual("0", "controller.run.exit");
    }

    [Fact]
    public void Reinstall_and_upgrade_keep_the_key_and_the_operators_configuration()
    {
        var run = Run;
        var key = run["controller.key.sha256"];
        run.AssertEqual(key, "reinstalled.key.sha256");
        run.AssertEqual(key, "upgraded.key.sha256");
        var edited = run["edited.conf.sha256"];
        run.AssertEqual(edited, "reinstalled.conf.sha256");
        run.AssertEqual(packages.Version + "+upgrade1", "upgraded.vmm-controller.version");
        run.AssertEqual(edited, "upgraded.conf.sha256");
        // The next version's file is set beside it, and the daemon reads the operator's.
        run.AssertEqual("1", "upgraded.dist_new_lines");
        var setting = run["upgraded.check_config.down_after"];
        run.AssertThat(setting.StartsWith("down-after = 5 # /etc/vmm/controller.toml:", StringComparison.Ordinal),
            $"vmm-controller --check-config says '{setting}', expected down-after = 5 from /etc/vmm/controller.toml");
        run.AssertEqual("/lib/systemd/system/vmm-controller.service", "upgraded.vmm-controller.wants");
    }

    [Fact]
    public void Hostd_install_makes_its_own_host_key_beside_the_controllers_master_and_its_daemon_runs_as_vmm()
    {
        var run = Run;
        run.AssertEqual(run["controller.key.sha256"], "hostd.key.sha256");
        // A placeholder host key for this machine's name (hostd's default host-name), which --check-config takes.
        run.AssertEqual("640 root vmm", "hostd.hostkey.stat");
        run.AssertThat(HostKeyLine().IsMatch(run["hostd.hostkey.line"]), $"{HostKey} does not hold a host key line: '{run["hostd.hostkey.line"]}'");
        run.AssertEqual(string.Join(' ', Contents.Conffiles("vmm-hostd").Select(f => "/" + f)), "hostd.vmm-hostd.conffiles");
        // logrotate reads the shipped file without complaint (a dry run, with user vmm in place).
        run.AssertEqual("0", "hostd.logrotate.exit");
        run.AssertEqual("", "hostd.logrotate.errors");
        run.AssertEqual("/lib/systemd/system/vmm-hostd.service", "hostd.vmm-hostd.wants");
        run.AssertEqual("0", "hostd.check_config.exit");
        // The host reaches the controller only if hostd read the key and the controller accepts its signatures.
        run.AssertEqual(run["controller.passwd"].Split(':')[2], "hostd.run.uid");
        run.AssertThat(HostNames(run, "hostd.run.host_list").SequenceEqual([HostName]),
            $"vmmctl host list does not show exactly {HostName}: {run["hostd.run.host_list"]}");
        run.AssertEqual("0", "hostd.run.exit");
        run.AssertEqual("0", "hostd.run.controller_exit");
    }

    [Fact]
    public void Purge_takes_the_key_and_logs_with_the_last_package_and_keeps_the_user()
    {
        var run = Run;
        // vmm-hostd purged, vmm-controller still installed: only hostd's own files go.
        run.AssertEqual("absent", "purged_hostd.vmm-hostd.status");
        run.AssertEqual(run["controller.key.sha256"], "purged_hostd.key.sha256");
        run.AssertEqual("cluster.key controller.toml controller.toml.dpkg-dist", "purged_hostd.etc_vmm");
        run.AssertEqual("present", "purged_hostd.var_log_vmm");
        run.AssertThat(!run["purged_hostd.systemd"].Contains("vmm-hostd", StringComparison.Ordinal),
            $"vmm-hostd's unit is still enabled after its purge: {run["purged_hostd.systemd"]}");
        // Both purged: nothing of either is left under /etc, /var/log or systemd's folders.
        run.AssertEqual("absent", "purged_both.vmm-controller.status");
        run.AssertEqual("absent", "purged_both.key.stat");
        run.AssertEqual("absent", "purged_both.hostkey.stat");
        run.AssertEqual("absent", "purged_both.etc_vmm");
        run.AssertEqual("absent", "purged_both.var_log_vmm");
        run.AssertEqual("", "purged_both.systemd");
        // The user and group stay (packaging/debian/*.postrm says why).
        run.AssertEqual(run["controller.passwd"], "purged_both.passwd");
        run.AssertEqual(run["controller.group"], "purged_both.group");
    }

    [Fact]
    public void Hostd_installed_first_makes_a_placeholder_host_key_that_the_controller_keeps_and_both_load()
    {
        var run = Run;
        run.AssertEqual("# Made by the installation of vmm-hostd: replace this file with this host's key", "hostd_first.hostkey.first_line");
        run.AssertThat(HostKeyLine().IsMatch(run["hostd_first.hostkey.line"]), $"the placeholder is not a host key line: {run["hostd_first.hostkey.line"]}");
        run.AssertEqual("640 root vmm", "hostd_first.hostkey.stat");
        run.AssertEqual("absent", "hostd_first.key.stat");
        // The controller makes its master beside it and leaves the host key alone.
        run.AssertEqual(run["hostd_first.hostkey.sha256"], "hostd_first_controller.hostkey.sha256");
        run.AssertEqual("640 root vmm", "hostd_first_controller.key.stat");
        run.AssertThat(HostNames(run, "hostd_first.run.host_list").SequenceEqual([HostName]),
            $"vmmctl host list does not show exactly {HostName}: {run["hostd_first.run.host_list"]}");
        run.AssertEqual("0", "hostd_first.run.exit");
        run.AssertEqual("0", "hostd_first.run.controller_exit");
    }

    [Fact]
    public void A_package_removed_but_not_purged_keeps_the_key_when_the_other_is_purged()
    {
        var run = Run;
        var key = run["hostd_first.hostkey.sha256"];
        run.AssertEqual("rc", "removed_hostd.vmm-hostd.status");
        run.AssertEqual(key, "removed_hostd_purged_controller.hostkey.sha256");
        run.AssertEqual("absent", "removed_hostd_purged_controller.key.stat");
        run.AssertEqual("host.key hostd.toml", "removed_hostd_purged_controller.etc_vmm");
        // vmm-hostd installed again finds its configuration, key included, as it was.
        run.AssertEqual("ii", "reinstalled_hostd.vmm-hostd.status");
        run.AssertEqual(key, "reinstalled_hostd.hostkey.sha256");
        // Both purged by one dpkg run: everything goes.
        run.AssertEqual("absent", "purged_together.vmm-controller.status");
        run.AssertEqual("absent", "purged_together.vmm-hostd.status");
        run.AssertEqual("absent", "purged_together.etc_vmm");
        run.AssertEqual("", "purged_together.systemd");
    }

    /// <summary>The names in a `vmmctl --json host list` the script printed.</summary>
    private static string[] HostNames(DebInstall run, string key)
    {
        try
        {
            using var doc = JsonDocument.Parse(run[key]);
            return [.. doc.RootElement.GetProperty("hosts").EnumerateArray().Select(h => h.GetProperty("name").GetString()!)];
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            run.AssertThat(false, $"{key} is not vmmctl's host list JSON ({e.Message}): {run[key]}");
            throw;
        }
    }

    [GeneratedRegex("^master [0-9a-f]{64}$")]
    private static partial Regex MasterKey();

    [GeneratedRegex("^host [^ ]+ [0-9a-f]{64}$")]
    private static partial Regex HostKeyLine();
}
