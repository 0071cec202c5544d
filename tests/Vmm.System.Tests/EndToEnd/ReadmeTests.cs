// The README's "By hand" block, run verbatim as a new user would paste it into a terminal in the repository
// root: read from README.md (never copied here, so the README cannot drift from what is tested), in a private
// network namespace (its fixed ports 7400 and 7401 on a loopback of its own) and mount namespace (a /tmp of its
// own, so /tmp/vmm starts missing, as on a fresh machine; the repository seen at /mnt/repo, since a clone may live
// under /tmp), with a pid namespace whose end stops every daemon the block put in the background. Needs root
// (unshare), as CI runs.
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]
[Trait("Needs", "root")]
public sealed partial class ReadmeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    [Fact]
    public void The_by_hand_block_runs_verbatim_and_shows_the_host_up()
    {
        string block = ByHandBlock();
        Assert.Contains("out/vmmctl key generate /tmp/vmm/cluster.key", block);
        Assert.EndsWith("out/vmmctl watch", LastCommand(block));
        Cluster.Bin("vmm-hostd");   // a clear failure when `make build` has not run

        // bash -e: the first command that fails ends the block early, which fails the test with its output.
        var psi = new ProcessStartInfo("unshare")
        {
            WorkingDirectory = Root(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "--mount", "--net", "--pid", "--fork", "--kill-child=KILL", "--mount-proc", "sh", "-c",
            // The repository is bound on /mnt/repo first (a tmpfs of the namespace's own under it): it may itself be
            // under /tmp, which the next tmpfs covers.
            "set -e; ip link set lo up; mount -t tmpfs vmm-readme-repo /mnt; mkdir /mnt/repo; mount --bind \"$1\" /mnt/repo; "
                + "mount -t tmpfs vmm-readme /tmp; cd /mnt/repo; exec bash -e -c \"$2\"",
            "readme", Root(), block,
        }) psi.ArgumentList.Add(a);
        psi.Environment.Remove("VMM_SOCKET");
        var lines = new List<string>();
        string Output() { lock (lines) return string.Join('\n', lines); }
        using var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            // The block's last command, `vmmctl watch`, runs until Ctrl-C: wait for what comes before it.
            var clock = Stopwatch.StartNew();
            while (!VmListed().IsMatch(Output()))
            {
                if (p.HasExited) Assert.Fail($"the block stopped (exit {p.ExitCode}) before `vm list` showed web1\n{Output()}");
                if (clock.Elapsed > Deadline) Assert.Fail($"not within {Deadline.TotalSeconds} s: `vm list` shows web1\n{Output()}");
                Thread.Sleep(50);
            }
            Thread.Sleep(1000);
            Assert.False(p.HasExited, $"`vmmctl watch` ended (exit {(p.HasExited ? p.ExitCode : 0)})\n{Output()}");

            string output = Output();
            Assert.Matches(HostUp(), output);
            Assert.Contains("new cluster master key", output);
        Assert.Contains("host key of hv1", output);
            Assert.DoesNotContain("Exception", output);
        }
        finally
        {
            // unshare's child is the pid namespace's first process: SIGKILL to unshare ends it (--kill-child), and the
            // namespace with it, daemons included.
            if (!p.HasExited) p.Kill();
            p.WaitForExit();
        }
    }

    /// <summary>The first ```sh block after the paragraph that starts "By hand" in README.md.</summary>
    private static string ByHandBlock()
    {
        string readme = File.ReadAllText(Path.Combine(Root(), "README.md"));
        int at = readme.IndexOf("\nBy hand", StringComparison.Ordinal);
        Assert.True(at >= 0, "README.md has no paragraph starting \"By hand\"");
        var block = ShBlock().Match(readme, at);
        Assert.True(block.Success, "no ```sh block after \"By hand\" in README.md");
        return block.Groups["body"].Value;
    }

    private static string LastCommand(string block) =>
        block.Split('\n').Select(l => Regex.Replace(l, @"\s+#.*$", "").Trim()).Last(l => l.Length > 0);

    private static string Root() => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Cluster.Bin("vmmctl"))!, ".."));

    [GeneratedRegex(@"```sh\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShBlock();

    // host list: "hv1  up  127.0.0.1:7401 ..."
    [GeneratedRegex(@"^hv1\s+up\s", RegexOptions.Multiline)]
    private static partial Regex HostUp();

    // vm list: "web1  hv1  running ..." (any column order after the name)
    [GeneratedRegex(@"^web1\s+.*\brunning\b", RegexOptions.Multiline)]
    private static partial Regex VmListed();
}
