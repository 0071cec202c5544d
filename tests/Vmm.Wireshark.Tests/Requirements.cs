// Where tshark genuinely cannot run, the tests are skipped saying why (xunit 2 decides skips when it discovers a
// test, so the checks live in the attributes). make test installs tshark, and CI runs it as root: there they run.
using System.Diagnostics;

namespace Vmm.Wireshark.Tests;

/// <summary>A fact that needs tshark.</summary>
internal sealed class TsharkFactAttribute : FactAttribute
{
    public TsharkFactAttribute() => Skip = Requirements.Tshark();
}

/// <summary>A theory that needs tshark.</summary>
internal sealed class TsharkTheoryAttribute : TheoryAttribute
{
    public TsharkTheoryAttribute() => Skip = Requirements.Tshark();
}

/// <summary>A fact that captures live traffic: tshark and dumpcap, and a private network namespace to capture in.</summary>
internal sealed class CaptureFactAttribute : FactAttribute
{
    public CaptureFactAttribute() => Skip = Requirements.Tshark() ?? Requirements.Capture();
}

internal static class Requirements
{
    private static readonly Lazy<string?> TsharkReason = new(() =>
        Vmm.Wireshark.Tests.Tshark.Find() is null ? "tshark is not installed (Debian package tshark; make test installs it)" : null);

    private static readonly Lazy<string?> CaptureReason = new(FindCaptureReason);

    public static string? Tshark() => TsharkReason.Value;

    public static string? Capture() => CaptureReason.Value;

    private static string? FindCaptureReason()
    {
        foreach (var (tool, package) in new[] { ("dumpcap", "wireshark-common"), ("unshare", "util-linux"), ("nsenter", "util-linux"), ("setpriv", "util-linux"), ("ip", "iproute2") })
            if (Which(tool) is null) return $"{tool} is missing (Debian package {package})";
        // The capture runs in a network namespace of its own, so that nothing else on this machine's loopback is
        // sniffed: that takes root (CAP_SYS_ADMIN), which CI has.
        var psi = new ProcessStartInfo(Which("unshare")!) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "--net", "true" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? null : $"a private network namespace is not permitted here (unshare --net: {err.Trim()}): the live capture needs root";
    }

    public static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            .Select(dir => Path.Combine(dir, tool)).FirstOrDefault(File.Exists);
}
