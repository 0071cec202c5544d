// `make demo` and `make run` as an operator meets them: tools/cluster/demo.sh and run.sh, run as they are,
// against the AOT binaries of `make build` (out/). The demo checks every vmmctl operation itself; here it
// must end with every step passed. run.sh must print commands that work, and leave nothing behind when
// it is interrupted or when one of its daemons dies.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]   // real processes and ports: one system test at a time
public sealed partial class DemoTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    [Fact]
    public void The_demo_passes_every_step_and_leaves_nothing_behind()
    {
        using var demo = Script.Start("demo.sh");
        Assert.True(demo.Process.WaitForExit(TimeSpan.FromMinutes(5)), $"demo.sh did not finish\n{demo.Output}");
        demo.Process.WaitForExit();   // the output readers drain

        string output = demo.Output;
        Assert.True(demo.Process.ExitCode == 0, $"demo.sh exited {demo.Process.ExitCode}\n{output}");
        var summary = Summary().Match(output);
        Assert.True(summary.Success, $"no summary line\n{output}");
        int steps = int.Parse(summary.Groups["steps"].Value);
        Assert.True(steps >= 40, $"only {steps} steps\n{output}");
        Assert.Equal(steps, int.Parse(summary.Groups["passed"].Value));
        Assert.Equal("0", summary.Groups["failed"].Value);
        // Every step printed its verdict, and the operations the test driver cannot do are among them, stated.
        Assert.Equal(steps, Verdict().Matches(output).Count);
        Assert.Contains("The test driver cannot migrate: vmmctl exits 3, unsupported", output);
        Assert.Contains("requests during the rotation, all succeeded", output);   // keys rotated with requests flowing

        string folder = Folder().Match(output).Groups["dir"].Value;
        Assert.False(string.IsNullOrEmpty(folder), output);
        Assert.False(Directory.Exists(folder), $"{folder} is still there");
        Assert.Empty(Script.Leftovers(folder));
    }

    [Fact]
    public void Run_prints_commands_that_work_and_stops_everything_on_ctrl_c()
    {
        using var run = Script.Start("run.sh");
        run.WaitFor(o => o.Contains("try: ") && o.Contains("make demo runs them all"), "run.sh prints the commands to try");

        string output = run.Output;
        string socket = Export().Match(output).Groups["socket"].Value;
        Assert.True(File.Exists(socket), $"no socket at '{socket}'\n{output}");
        string tryList = output.Split('\n').Select(l => l.TrimEnd()).Single(l => l.StartsWith("try: ") && l.EndsWith(" vm list"));
        string[] command = tryList["try: ".Length..].Split(' ');
        // As typed in the repository root (out/vmmctl), with the exported socket.
        var (code, listed) = Script.Run(Path.Combine(Script.Root(), command[0]), command[1..], ("VMM_SOCKET", socket));
        Assert.True(code == 0, $"{tryList}: exit {code}\n{listed}");
        Assert.Contains("web-01", listed);   // node-a.xml's VMs
        Assert.Contains("cache-01", listed); // node-b.xml's

        var (pids, folder) = (run.Pids(), run.Folder());
        Assert.Equal(new[] { "controller", "hv-a", "hv-b" }, pids.Keys.Order().ToArray());
        Assert.All(pids.Values, pid => Assert.True(Script.Runs(pid, folder), $"pid {pid} is not running"));

        run.Signal("INT");
        Assert.True(run.Process.WaitForExit(Deadline), $"run.sh did not stop on SIGINT\n{run.Output}");
        run.Process.WaitForExit();
        Assert.True(run.Process.ExitCode == 0, $"run.sh exited {run.Process.ExitCode}\n{run.Output}");
        Assert.Contains("run: SIGINT: stopping the cluster", run.Output);
        Assert.All(pids, p => Assert.False(Script.Runs(p.Value, folder), $"{p.Key} (pid {p.Value}) still runs"));
        Assert.False(Directory.Exists(folder), $"{folder} is still there");
        Assert.Empty(Script.Leftovers(folder));
    }

    [Fact]
    public void Run_says_when_a_daemon_dies_and_stops_the_rest()
    {
        using var run = Script.Start("run.sh");
        run.WaitFor(o => o.Contains("make demo runs them all"), "run.sh has the cluster up");
        var (pids, folder) = (run.Pids(), run.Folder());

        Script.Run("kill", ["-KILL", pids["hv-b"].ToString()]);

        Assert.True(run.Process.WaitForExit(Deadline), $"run.sh went on without hv-b\n{run.Output}");
        run.Process.WaitForExit();
        Assert.Equal(1, run.Process.ExitCode);
        Assert.Contains($"run: hv-b (pid {pids["hv-b"]}) ended on its own, killed by SIGKILL", run.Output);
        Assert.All(pids, p => Assert.False(Script.Runs(p.Value, folder), $"{p.Key} (pid {p.Value}) still runs"));
        Assert.False(Directory.Exists(folder), $"{folder} is still there");
        Assert.Empty(Script.Leftovers(folder));
    }

    /// <summary>
    /// `make run` in one terminal and `make demo` in another, as the README lists them, while a vmmctl started from
    /// out/ runs: the demo's `make build` replaces out/ under a running binary (no "Text file busy"), each cluster
    /// runs copies of its own and has its own folder and UDP port, and the first cluster is untouched by the second.
    /// </summary>
    [Fact]
    public void Make_run_and_make_demo_run_side_by_side()
    {
        using var run = Script.Make("run");
        // make run builds first (nothing to do after make test's build, but the AOT targets are checked: allow for a
        // loaded machine).
        run.WaitFor(o => o.Contains("make demo runs them all"), "make run has the cluster up", TimeSpan.FromMinutes(10));
        var (pids, folder) = (run.Pids(), run.Folder());
        string socket = Export().Match(run.Output).Groups["socket"].Value;
        int runPort = int.Parse(UdpPort().Match(run.Output).Groups["port"].Value);
        using var watch = Script.Start(Path.Combine(Script.Root(), "out", "vmmctl"), "--socket", socket, "watch");

        using var demo = Script.Make("demo");
        Assert.True(demo.Process.WaitForExit(TimeSpan.FromMinutes(12)), $"make demo did not finish\n{demo.Output}");
        demo.Process.WaitForExit();
        Assert.True(demo.Process.ExitCode == 0, $"make demo exited {demo.Process.ExitCode} beside make run\n{demo.Output}");
        Assert.DoesNotContain("Text file busy", demo.Output);
        var summary = Summary().Match(demo.Output);
        Assert.True(summary.Success && summary.Groups["failed"].Value == "0", demo.Output);
        string demoFolder = Folder().Match(demo.Output).Groups["dir"].Value;
        Assert.NotEqual(folder, demoFolder);
        var demoPort = UdpPort().Match(demo.Output);
        Assert.True(demoPort.Success, $"make demo does not say its controller's port\n{demo.Output}");
        Assert.NotEqual(runPort, int.Parse(demoPort.Groups["port"].Value));

        // make run's cluster went on: its daemons, its VMs, and the watch started from out/ before the rebuild.
        Assert.All(pids.Values, pid => Assert.True(Script.Runs(pid, folder), $"pid {pid} of make run no longer runs"));
        var (code, listed) = Script.Run(Path.Combine(Script.Root(), "out", "vmmctl"), ["vm", "list"], ("VMM_SOCKET", socket));
        Assert.True(code == 0, $"vm list on make run's cluster after make demo: exit {code}\n{listed}");
        Assert.Contains("web-01", listed);
        Assert.False(watch.Process.HasExited, $"the watch on make run's cluster ended\n{watch.Output}");

        run.SignalGroup("INT");
        Assert.True(run.Process.WaitForExit(Deadline), $"make run did not stop on Ctrl-C\n{run.Output}");
        run.Process.WaitForExit();
        Assert.All(pids, p => Assert.False(Script.Runs(p.Value, folder), $"{p.Key} (pid {p.Value}) still runs"));
        Assert.False(Directory.Exists(folder), $"{folder} is still there");
    }

    [GeneratedRegex(@"controller on udp 127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex UdpPort();

    [GeneratedRegex(@"^demo: (?<steps>\d+) steps, (?<passed>\d+) passed, (?<failed>\d+) failed$", RegexOptions.Multiline)]
    private static partial Regex Summary();

    [GeneratedRegex(@"^(PASS|FAIL)$", RegexOptions.Multiline)]
    private static partial Regex Verdict();

    [GeneratedRegex(@"on libvirt's test driver, in (?<dir>/\S+)")]
    private static partial Regex Folder();

    [GeneratedRegex(@"^try: export VMM_SOCKET=(?<socket>\S+)$", RegexOptions.Multiline)]
    private static partial Regex Export();

    [GeneratedRegex(@"^pids:(?<pids>( [a-z-]+=\d+)+)$", RegexOptions.Multiline)]
    private static partial Regex PidLine();

    [GeneratedRegex(@"^folder: (?<dir>/\S+)", RegexOptions.Multiline)]
    private static partial Regex FolderLine();

    /// <summary>A script of tools/cluster/ running, its stdout and stderr collected as they come.</summary>
    private sealed class Script : IDisposable
    {
        private readonly List<string> _lines = [];

        private Script(Process process) => Process = process;

        public Process Process { get; }

        public string Output
        {
            get { lock (_lines) return string.Join('\n', _lines); }
        }

        /// <summary>tools/cluster/NAME, as `bash tools/cluster/NAME` in the repository root.</summary>
        public static Script Start(string name) => Start("bash", Path.Combine("tools", "cluster", name));

        /// <summary>`make TARGET` in the repository root, as the leader of a process group of its own, as a shell
        /// runs a job: <see cref="SignalGroup"/> is then a Ctrl-C on its terminal.</summary>
        public static Script Make(string target) => Start("setsid", "make", target);

        public static Script Start(string exe, params string[] args)
        {
            Cluster.Bin("vmmctl");   // a clear failure when `make build` has not run
            // env --default-signal: a test host started with SIGINT ignored (a background job) would pass that
            // on, and bash cannot trap a signal ignored on entry.
            var psi = new ProcessStartInfo("env")
            {
                WorkingDirectory = Root(),
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "--default-signal=INT,TERM", exe }.Concat(args)) psi.ArgumentList.Add(a);
            psi.Environment.Remove("VMM_SOCKET");
            var script = new Script(Process.Start(psi)!);
            script.Process.OutputDataReceived += (_, e) => script.Add(e.Data);
            script.Process.ErrorDataReceived += (_, e) => script.Add(e.Data);
            script.Process.BeginOutputReadLine();
            script.Process.BeginErrorReadLine();
            return script;
        }

        private void Add(string? line)
        {
            if (line is not null) lock (_lines) _lines.Add(line);
        }

        /// <summary>Polls the output until <paramref name="condition"/> holds; fails if the script ends first.</summary>
        public void WaitFor(Func<string, bool> condition, string what, TimeSpan? within = null)
        {
            var clock = Stopwatch.StartNew();
            var deadline = within ?? Deadline;
            while (!condition(Output))
            {
                if (Process.HasExited) Assert.Fail($"the script exited {Process.ExitCode} before: {what}\n{Output}");
                if (clock.Elapsed > deadline) Assert.Fail($"not within {deadline.TotalSeconds} s: {what}\n{Output}");
                Thread.Sleep(50);
            }
        }

        /// <summary>The "pids: NAME=PID ..." line of run.sh.</summary>
        public Dictionary<string, int> Pids()
        {
            var m = PidLine().Match(Output);
            Assert.True(m.Success, $"no pids line\n{Output}");
            return m.Groups["pids"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1]));
        }

        /// <summary>The "folder: DIR" line of run.sh.</summary>
        public string Folder()
        {
            var m = FolderLine().Match(Output);
            Assert.True(m.Success, $"no folder line\n{Output}");
            return m.Groups["dir"].Value;
        }

        public void Signal(string signal) => Run("kill", [$"-{signal}", Process.Id.ToString()]);

        /// <summary>A signal to the script's whole process group (it leads one: <see cref="Make"/>).</summary>
        public void SignalGroup(string signal) => Run("kill", [$"-{signal}", "--", $"-{Process.Id}"]);

        /// <summary>Whether <paramref name="pid"/> is a live process started for this cluster (its command
        /// line names the cluster's folder), so that a recycled pid does not count.</summary>
        public static bool Runs(int pid, string folder)
        {
            try
            {
                string stat = File.ReadAllText($"/proc/{pid}/stat");
                if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z')) return false;
                return File.ReadAllText($"/proc/{pid}/cmdline").Contains(folder, StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;   // gone
            }
        }

        /// <summary>Every live process whose command line names <paramref name="folder"/> (the daemons' configuration
        /// files and the log followers do), as "PID COMMAND LINE".</summary>
        public static List<string> Leftovers(string folder)
        {
            var found = new List<string>();
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out int pid) || !Runs(pid, folder)) continue;
                try { found.Add($"{pid} {File.ReadAllText($"{dir}/cmdline").Replace('\0', ' ')}"); }
                catch (IOException) { }   // it ended meanwhile
            }
            return found;
        }

        public static (int Code, string Output) Run(string exe, string[] args, params (string Name, string Value)[] env)
        {
            var psi = new ProcessStartInfo(exe) { WorkingDirectory = Root(), RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            foreach (var (name, value) in env) psi.Environment[name] = value;
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEndAsync();
            var error = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(Deadline)) { p.Kill(); Assert.Fail($"{exe} {string.Join(' ', args)} did not finish"); }
            return (p.ExitCode, output.Result + error.Result);
        }

        public static string Root([CallerFilePath] string here = "") =>
            Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "../../.."));

        /// <summary>A script still running when a test fails is stopped as Ctrl-C would, then killed.</summary>
        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Signal("TERM");
                if (Process.WaitForExit(TimeSpan.FromSeconds(1))) { Process.Dispose(); return; }
                SignalGroup("TERM");
                if (!Process.WaitForExit(Deadline)) Process.Kill(entireProcessTree: true);
            }
            Process.Dispose();
        }
    }
}
