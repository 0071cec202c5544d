namespace Vmm.Packaging.Tests;

/// <summary>The .deb packages of `make deb`, unpacked.</summary>
[Collection("packages")]
public sealed class DebPackageTests(PackagesFixture packages)
{
    public static TheoryData<string> Names => new(PackagesFixture.Names);

    [Theory, MemberData(nameof(Names))]
    public void Holds_binaries_unit_configuration_man_pages_and_copyright(string name) =>
        Installed.HoldsEveryFile(packages.Debs[name], Contents.Deb(name));

    [Theory, MemberData(nameof(Names))]
    public void Binaries_are_the_built_ones_without_symbol_files(string name) =>
        Installed.BinariesAreTheBuiltOnes(packages.Debs[name]);

    [Theory, MemberData(nameof(Names))]
    public void Binaries_report_the_package_version(string name) =>
        Installed.BinariesReportTheirVersion(packages.Debs[name], packages.Version);

    [Theory, MemberData(nameof(Names))]
    public void Daemon_accepts_the_shipped_configuration(string name) =>
        Installed.DaemonAcceptsItsShippedConfiguration(packages.Debs[name]);

    [Theory, MemberData(nameof(Names))]
    public void Unit_is_the_repositorys(string name) =>
        Installed.UnitIsTheRepositorys(packages.Debs[name], "lib/systemd/system");

    [Theory, MemberData(nameof(Names))]
    public void Configuration_and_logrotate_files_are_conffiles(string name)
    {
        var conffiles = File.ReadAllLines(packages.Debs[name].PathOf("DEBIAN/conffiles"));
        Assert.Equal(Contents.Conffiles(name).Select(f => "/" + f), conffiles.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Hostd_depends_on_libvirt_and_both_on_the_c_library()
    {
        string Depends(string name) => Tool.Check("dpkg-deb", "-f", packages.Debs[name].File, "Depends");
        var hostd = Depends("vmm-hostd").Split(", ");
        Assert.Contains("libvirt0", hostd);
        Assert.Contains("libvirt-daemon-system", hostd);
        Assert.Contains(hostd, d => d.StartsWith("libc6 (>= ", StringComparison.Ordinal));
        Assert.Contains(Depends("vmm-controller").Split(", "), d => d.StartsWith("libc6 (>= ", StringComparison.Ordinal));
    }

    [Theory, MemberData(nameof(Names))]
    public void Postinst_makes_the_user_and_the_key_before_the_unit_starts(string name)
    {
        var postinst = File.ReadAllText(packages.Debs[name].PathOf("DEBIAN/postinst"));
        int user = postinst.IndexOf($"systemd-sysusers ${{DPKG_ROOT:+--root=\"$DPKG_ROOT\"}} {name}.conf", StringComparison.Ordinal);
        int key = postinst.IndexOf("mv \"$tmp\" \"$key\"", StringComparison.Ordinal);
        int start = postinst.IndexOf($"deb-systemd-invoke $_dh_action '{name}.service'", StringComparison.Ordinal);
        Assert.True(user >= 0 && key > user && start > key, $"postinst order: sysusers {user}, key {key}, start {start}\n{postinst}");
        Assert.Contains("chgrp vmm \"$tmp\"", postinst);
        Assert.Contains("chmod 0640 \"$tmp\"", postinst);
        Assert.Contains("if [ ! -e \"$key\" ]", postinst);
        Assert.Equal(0, Tool.Run("sh", "-n", packages.Debs[name].PathOf("DEBIAN/postinst")).Exit);
    }

    [Fact]
    public void Lintian_reports_no_error()
    {
        var files = PackagesFixture.Names.Select(n => packages.Debs[n].File).ToArray();
        var r = Tool.Run("lintian", ["--fail-on", "error", .. files]);
        Assert.True(r.Exit == 0, $"lintian: {r}");
        Assert.DoesNotContain("\nE: ", "\n" + r.Stdout);
    }
}
