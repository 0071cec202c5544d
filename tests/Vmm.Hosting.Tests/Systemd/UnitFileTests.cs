// packaging/systemd/*.service as systemd itself reads them. `systemd-analyze verify` runs against a
// temporary root holding the units, the AOT binaries from out/ at /usr/bin (verify checks that ExecStart
// can be executed), kill for ExecReload, and the distribution's own units (sysinit.target and friends).
// It exits 0 even with warnings, so any output at all fails the test.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Vmm.Hosting.Tests.Support;

namespace Vmm.Hosting.Tests.Systemd;

public sealed class UnitFileTests
{
    public static readonly TheoryData<string> Units = new() { "vmm-hostd.service", "vmm-controller.service" };

    private static string Repository([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "../../.."));

    private static string Unit(string name) => Path.Combine(Repository(), "packaging/systemd", name);

    [Theory]
    [MemberData(nameof(Units))]
    [Trait("Needs", "aot")]
    [Trait("Needs", "packages")]
    public void Systemd_analyze_verify_has_nothing_to_say(string unit)
    {
        string analyze = Tool("systemd-analyze");
        using var root = new TempDir();
        string binaries = Path.Combine(Repository(), "out");
        Directory.CreateDirectory(root["usr/bin"]);
        foreach (var daemon in new[] { "vmm-hostd", "vmm-controller" })
        {
            string built = Path.Combine(binaries, daemon);
            Assert.True(File.Exists(built), $"{built} is missing: run `make build` first");
            File.Copy(built, root["usr/bin/" + daemon]);
        }
        File.Copy(Tool("kill"), root["usr/bin/kill"]);
        File.CreateSymbolicLink(root["bin"], "usr/bin");
        CopyTree("/usr/lib/systemd/system", root["usr/lib/systemd/system"]);
        Directory.CreateDirectory(root["etc/systemd/system"]);
        File.Copy(Unit(unit), root["etc/systemd/system/" + unit]);

        var (code, output) = Run(analyze, "verify", "--man=no", "--root=" + root.Path, unit);

        Assert.True(output.Length == 0 && code == 0, $"systemd-analyze verify {unit} (exit {code}):\n{output}");
    }

    [Theory]
    [MemberData(nameof(Units))]
    public void Each_unit_is_a_notify_service_with_a_watchdog_reload_and_no_capabilities(string unit)
    {
        var lines = File.ReadAllLines(Unit(unit)).Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#').ToHashSet();
        foreach (var expected in new[]
        {
            "Type=notify", "NotifyAccess=main", "ExecReload=kill -HUP $MAINPID", "Restart=on-failure",
            "NoNewPrivileges=yes", "CapabilityBoundingSet=", "ProtectSystem=strict", "MemoryDenyWriteExecute=yes",
            "SystemCallFilter=@system-service", "User=vmm", "After=network-online.target" + (unit == "vmm-hostd.service" ? " libvirtd.service" : ""),
        })
            Assert.Contains(expected, lines);
        Assert.Contains(lines, l => l.StartsWith("WatchdogSec=", StringComparison.Ordinal));
        Assert.Contains($"ExecStart=/usr/bin/{Path.GetFileNameWithoutExtension(unit)}", lines);
    }

    /// <summary>The full path of <paramref name="name"/> on PATH; fails the test with the package to install when it is missing.</summary>
    private static string Tool(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path)) return path;
        }
        string package = name == "kill" ? "procps" : "systemd";
        Assert.Fail($"{name} is not installed: install the Debian package {package} (apt-get install {package})");
        return "";
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
        {
            string target = Path.Combine(to, entry.Name);
            if (entry.LinkTarget is { } link) File.CreateSymbolicLink(target, link);
            else if (entry is DirectoryInfo) CopyTree(entry.FullName, target);
            else File.Copy(entry.FullName, target);
        }
    }

    private static (int Code, string Output) Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(); Assert.Fail($"{exe} did not finish within 60 s"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
