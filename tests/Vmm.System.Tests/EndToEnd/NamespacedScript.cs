// A script of tests/tools/ run inside private mount, network and pid namespaces (unshare), so that its iptables rules
// and fixed ports touch nothing of the machine; its output is returned once it ends. Needs root.
using System.Diagnostics;

namespace Vmm.System.Tests.EndToEnd;

internal static class NamespacedScript
{
    /// <summary>Runs tests/tools/<paramref name="script"/> with the binaries' folder as its first argument; fails
    /// the test when it does not end within <paramref name="deadline"/> or exits non-zero.</summary>
    public static string Run(string script, TimeSpan deadline, params string[] args)
    {
        string vmmctl = Cluster.Bin("vmmctl"), bin = Path.GetDirectoryName(vmmctl)!;
        string path = Path.GetFullPath(Path.Combine(bin, "..", "tests", "tools", script));
        var psi = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--mount", "--net", "--pid", "--fork", "--kill-child=KILL", "--mount-proc", "bash", path, bin, .. args])
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(deadline))
        {
            p.Kill();
            Assert.Fail($"{script} did not end within {deadline.TotalSeconds:0} s");
        }
        string output = stdout.Result + stderr.Result;
        Assert.True(p.ExitCode == 0, $"{script} failed (exit {p.ExitCode})\n{output}");
        return output;
    }
}
