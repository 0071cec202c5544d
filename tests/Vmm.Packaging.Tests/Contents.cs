namespace Vmm.Packaging.Tests;

/// <summary>What each package must hold, by format (units and man pages sit apart on Debian and Fedora).</summary>
internal static class Contents
{
    /// <summary>The daemon, and the configuration file that is a conffile / %config(noreplace).</summary>
    public static (string Daemon, string Config) Of(string package) => package switch
    {
        "vmm-controller" => ("vmm-controller", "etc/vmm/controller.toml"),
        "vmm-hostd" => ("vmm-hostd", "etc/vmm/hostd.toml"),
        _ => throw new ArgumentException(package),
    };

    /// <summary>The files a package marks as configuration (conffiles / %config(noreplace)), in name order.</summary>
    public static string[] Conffiles(string package) =>
        [.. new[] { Of(package).Config, $"etc/logrotate.d/{package}" }.Order(StringComparer.Ordinal)];

    /// <summary>The executables of a package.</summary>
    public static string[] Binaries(string package) =>
        package == "vmm-controller" ? ["vmm-controller", "vmmctl"] : ["vmm-hostd"];

    public static string[] Deb(string package) => package == "vmm-controller"
        ?
        [
            "usr/bin/vmm-controller", "usr/bin/vmmctl", "lib/systemd/system/vmm-controller.service",
            "etc/vmm/controller.toml", "etc/logrotate.d/vmm-controller", "usr/lib/sysctl.d/30-vmm-controller.conf", "usr/lib/sysusers.d/vmm-controller.conf",
            "usr/share/bash-completion/completions/vmmctl", "usr/share/man/man1/vmmctl.1.gz",
            "usr/share/man/man8/vmm-controller.8.gz", "usr/share/doc/vmm-controller/copyright",
            "usr/share/doc/vmm-controller/changelog.gz",
        ]
        :
        [
            "usr/bin/vmm-hostd", "lib/systemd/system/vmm-hostd.service", "etc/vmm/hostd.toml", "etc/logrotate.d/vmm-hostd",
            "usr/lib/sysusers.d/vmm-hostd.conf", "usr/share/man/man8/vmm-hostd.8.gz",
            "usr/share/doc/vmm-hostd/copyright", "usr/share/doc/vmm-hostd/changelog.gz",
        ];

    public static string[] Rpm(string package, string version) => package == "vmm-controller"
        ?
        [
            "usr/bin/vmm-controller", "usr/bin/vmmctl", "usr/lib/systemd/system/vmm-controller.service",
            "etc/vmm/controller.toml", "etc/logrotate.d/vmm-controller", "usr/lib/sysctl.d/30-vmm-controller.conf", "usr/lib/sysusers.d/vmm-controller.conf",
            "usr/share/bash-completion/completions/vmmctl", "usr/share/man/man1/vmmctl.1.gz",
            "usr/share/man/man8/vmm-controller.8.gz", $"usr/share/licenses/vmm-controller-{version}/copyright",
        ]
        :
        [
            "usr/bin/vmm-hostd", "usr/lib/systemd/system/vmm-hostd.service", "etc/vmm/hostd.toml", "etc/logrotate.d/vmm-hostd",
            "usr/lib/sysusers.d/vmm-hostd.conf", "usr/share/man/man8/vmm-hostd.8.gz",
            $"usr/share/licenses/vmm-hostd-{version}/copyright",
        ];
}
