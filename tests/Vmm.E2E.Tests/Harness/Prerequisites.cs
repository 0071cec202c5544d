// What a QEMU host of the cluster needs on this machine. A missing piece fails the run with one line that
// names the Debian package to install (the Makefile's LIBVIRT_PACKAGES has them all): never a silent skip.
namespace Vmm.E2E.Harness;

internal static class Prerequisites
{
    private static readonly (string Tool, string Package)[] Tools =
    [
        ("libvirtd", "libvirt-daemon"),
        ("virsh", "libvirt-clients"),
        ("qemu-system-x86_64", "qemu-system-x86"),
        ("qemu-img", "qemu-utils"),
        ("ip", "iproute2"),
        ("python3", "python3"),
        ("mount", "mount"),
        ("unshare", "util-linux"),
        ("nsenter", "util-linux"),
        ("setpriv", "util-linux"),
    ];

    /// <summary>Throws <see cref="E2EException"/> naming the first missing piece.</summary>
    public static void Check()
    {
        if (Environment.UserName != "root")
            throw new E2EException("the end-to-end tests need root: they start libvirtd in private mount, pid and network namespaces");
        foreach (var (tool, package) in Tools)
            if (Which(tool) is null) throw new E2EException($"{tool} is missing: install the Debian package {package}");
        if (!Directory.EnumerateFiles("/usr/lib", "libvirt_driver_qemu.so", SearchOption.AllDirectories).Any())
            throw new E2EException("libvirt's QEMU driver (libvirt_driver_qemu.so) is missing: install the Debian package libvirt-daemon-driver-qemu");
        if (!File.Exists("/dev/net/tun"))
            throw new E2EException("/dev/net/tun is missing: VM NICs need the tun driver");
    }

    public static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);
}
