namespace Vmm.Packaging.Tests;

/// <summary>The .rpm packages of `make rpm`, unpacked and queried.</summary>
[Collection("packages")]
public sealed class RpmPackageTests(PackagesFixture packages)
{
    public static TheoryData<string> Names => new(PackagesFixture.Names);

    private string Query(string name, params string[] args) => Tool.Check("rpm", ["-qp", .. args, packages.Rpms[name].File]);

    [Theory, MemberData(nameof(Names))]
    public void Holds_binaries_unit_configuration_man_pages_and_license(string name) =>
        Installed.HoldsEveryFile(packages.Rpms[name], Contents.Rpm(name, packages.Version));

    [Theory, MemberData(nameof(Names))]
    public void Binaries_are_the_built_ones_without_symbol_files(string name) =>
        Installed.BinariesAreTheBuiltOnes(packages.Rpms[name]);

    [Theory, MemberData(nameof(Names))]
    public void Binaries_report_the_package_version(string name) =>
        Installed.BinariesReportTheirVersion(packages.Rpms[name], packages.Version);

    [Theory, MemberData(nameof(Names))]
    public void Daemon_accepts_the_shipped_configuration(string name) =>
        Installed.DaemonAcceptsItsShippedConfiguration(packages.Rpms[name]);

    [Theory, MemberData(nameof(Names))]
    public void Unit_is_the_repositorys(string name) =>
        Installed.UnitIsTheRepositorys(packages.Rpms[name], "usr/lib/systemd/system");

    [Theory, MemberData(nameof(Names))]
    public void Configuration_and_logrotate_files_are_config_noreplace(string name)
    {
        // fflags: c = %config, n = noreplace.
        var flags = Query(name, "--qf", "[%{FILENAMES} %{FILEFLAGS:fflags}\n]").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var config = flags.Where(l => l.Split(' ')[1].Contains('c')).Order(StringComparer.Ordinal);
        Assert.Equal(Contents.Conffiles(name).Select(f => $"/{f} cn"), config);
    }

    [Fact]
    public void Hostd_requires_libvirt()
    {
        var requires = Query("vmm-hostd", "--requires").Split('\n');
        Assert.Contains("libvirt.so.0()(64bit)", requires);
        Assert.Contains("libvirt-daemon", requires);
    }

    [Theory, MemberData(nameof(Names))]
    public void Scriptlets_make_the_user_and_the_key_and_manage_the_unit(string name)
    {
        var scripts = Query(name, "--scripts");
        Assert.Contains("useradd -r -g vmm", scripts);
        // The controller's master key; hostd's own host key (a placeholder until the real one is derived).
        string key = name == "vmm-hostd" ? "/etc/vmm/host.key" : "/etc/vmm/cluster.key";
        Assert.Contains($"chgrp vmm \"$tmp\" && chmod 0640 \"$tmp\" && mv \"$tmp\" {key}", scripts);
        Assert.Contains($"preset {name}.service", scripts);
        Assert.Contains($"disable --now {name}.service", scripts);
        Assert.Contains($"try-restart {name}.service", scripts);
    }

    [Fact]
    public void Rpmlint_reports_no_error()
    {
        var files = PackagesFixture.Names.Select(n => packages.Rpms[n].File).ToArray();
        var r = Tool.Run("rpmlint", ["-c", "packaging/rpm/rpmlint.toml", .. files]);
        Assert.True(r.Exit == 0, $"rpmlint: {r}");
        Assert.Contains(" 0 errors,", r.Stdout);
    }
}
