// Part (f) of `make soak`, or alone: `dotnet run -c Release --project tests/Vmm.Benchmarks -- --loss`. Two hostds
// whose reports fit one datagram and a controller (down-after 3, heartbeat 1 s) run for SOAK_LOSS_SECONDS (default
// 120; the goal is stated for 600) in a private network namespace whose loopback loses SOAK_LOSS_PERCENT (default
// 30) of UDP datagrams at random (tools/lossy-netns.sh: iptables, as this kernel has no netem). One hostd sends
// min-datagrams-per-interval at its default (spec §6.5, liveness datagrams), the other 1, as hostd did before.
// The figure is each host's flaps: its down transitions, as the controller logs them. The goal (issue 14, item 5):
// 0 flaps in 10 minutes for the first. Then, in the same namespace, part (g) (LossOperations): operations under the
// same loss on TCP as well. Skips, saying why, where unshare or iptables is missing or not permitted.
using System.Diagnostics;
using Vmm.Benchmarks.Ingest;
using Vmm.Benchmarks.RoundTrip;
using Vmm.Protocol;

namespace Vmm.Benchmarks.Soak;

internal static class LossSoak
{
    private const string InnerFlag = "--loss-inner";
    private const string Steady = "loss-default", Before = "loss-one";
    private const int GoalSeconds = 600, DownAfter = 3;

    /// <summary>Runs the part in a namespace of its own: this program again, under unshare -n and lossy-netns.sh.
    /// 0 when it ran (whether or not the goal was met) or was skipped; 1 when it could not be measured.</summary>
    public static int Run()
    {
        int seconds, percent;
        try
        {
            seconds = Seconds();
            percent = Percent();
            LossOperations.Operations();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"soak: {e.Message}");
            return 2;
        }
        Console.WriteLine();
        Console.WriteLine($"(f) datagram loss: 2 one-page hosts and a controller, {percent}% of UDP lost on a private loopback, {seconds} s; then (g)");
        if (Skip() is { } why)
        {
            Console.WriteLine($"  skipped: {why}");
            return 0;
        }
        string script = Path.Combine(AppContext.BaseDirectory, "tools", "lossy-netns.sh");
        var start = new ProcessStartInfo("unshare") { UseShellExecute = false };
        foreach (var a in (string[])["-n", "--", "bash", script, Probability(percent), "--", .. Self(), InnerFlag])
            start.ArgumentList.Add(a);
        using var inner = Process.Start(start) ?? throw new SetupException("unshare did not start");
        inner.WaitForExit();
        return inner.ExitCode;
    }

    // SOAK_LOSS_SECONDS=0 leaves part (f) out and runs (g) alone.
    private static int Seconds() => (int)SoakSettings.Read("SOAK_LOSS_SECONDS", 120, 0, 7 * 24 * 3600);

    private static int Percent() => (int)SoakSettings.Read("SOAK_LOSS_PERCENT", 30, 1, 99);

    private static string Probability(int percent) => (percent / 100.0).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whether this is the run inside the namespace.</summary>
    public static bool IsInner(string[] args) => args.Contains(InnerFlag);

    // Why the part cannot run here, or null.
    private static string? Skip()
    {
        var probe = Shell("unshare -n true");
        if (probe != 0) return "`unshare -n` is not available or not permitted here (a private network namespace needs root or user namespaces)";
        if (Shell("command -v iptables-legacy || command -v iptables") != 0) return "iptables is not installed (apt-get install iptables; `make soak` installs it)";
        return null;
    }

    private static int Shell(string command)
    {
        var start = new ProcessStartInfo("bash", ["-c", $"{{ {command}; }} >/dev/null 2>&1"]) { UseShellExecute = false };
        try
        {
            using var p = Process.Start(start)!;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 127;
        }
    }

    // This program as it was started: `dotnet Vmm.Benchmarks.dll` under dotnet run, else its own executable.
    private static string[] Self()
    {
        string host = Environment.ProcessPath ?? throw new SetupException("cannot tell which program this is");
        return Path.GetFileNameWithoutExtension(host) == "dotnet" ? [host, typeof(LossSoak).Assembly.Location] : [host];
    }

    /// <summary>Parts (f) and (g), inside the lossy namespace.</summary>
    public static int RunInner()
    {
        // SOAK_BINARIES: another build's out/ (a bisect runs this harness against older binaries).
        string binaries = Environment.GetEnvironmentVariable("SOAK_BINARIES") is { Length: > 0 } other
            ? Path.GetFullPath(other)
            : Path.Combine(IngestBenchmark.RepositoryRoot(), "out");
        int flaps = Seconds() > 0 ? Flaps(binaries) : 0;
        int operations = LossOperations.Run(binaries, Probability(Percent()), Percent());
        return Math.Max(flaps, operations);
    }

    private static int Flaps(string binaries)
    {
        int seconds = Seconds();
        var key = ClusterKey.Generate();
        var folders = new List<string>();
        try
        {
            using var controller = ControllerProcess.Start(binaries, key, "--heartbeat-interval", "1s", "--down-after", DownAfter.ToString());
            HostdProcess Host(string name, params string[] settings)
            {
                string folder = Directory.CreateTempSubdirectory($"vmm-soak-{name}-").FullName;
                folders.Add(folder);
                return HostdProcess.Start(binaries, key, folder, TestNode.Write(folder, 4), name, controller.StateEndPoint,
                    ["--heartbeat-interval", "1s", .. settings]);
            }
            using var steady = Host(Steady);
            using var before = Host(Before, "--min-datagrams-per-interval", "1");
            Vmmctl.WaitForHost(controller, Steady, 4, TimeSpan.FromSeconds(60));
            Vmmctl.WaitForHost(controller, Before, 4, TimeSpan.FromSeconds(60));
            long downsAtStart = Downs(controller, Steady), beforeAtStart = Downs(controller, Before);
            var (udpAtStart, droppedAtStart) = LossCounters.Read("udp");

            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                Thread.Sleep(TimeSpan.FromSeconds(Math.Min(30, Math.Max(0.1, seconds - clock.Elapsed.TotalSeconds))));
                foreach (var (name, p) in new[] { (Steady, steady), (Before, before) })
                    if (p.HasExited) throw new InvalidOperationException($"vmm-hostd {name} exited: {p.LastOutput()}");
                Console.WriteLine($"  {clock.Elapsed.TotalSeconds,5:0} s: flaps {Downs(controller, Steady) - downsAtStart} (default) " +
                                  $"and {Downs(controller, Before) - beforeAtStart} (1 datagram an interval)");
            }
            double elapsed = clock.Elapsed.TotalSeconds;
            var (udp, dropped) = LossCounters.Read("udp");
            long flaps = Downs(controller, Steady) - downsAtStart, flapsBefore = Downs(controller, Before) - beforeAtStart;
            double loss = udp > udpAtStart ? 100.0 * (dropped - droppedAtStart) / (udp - udpAtStart) : 0;
            Console.WriteLine($"  loss applied  {loss:0.0}% of {udp - udpAtStart} UDP datagrams on loopback (iptables counters)");
            Console.WriteLine($"  {Steady,-13} min-datagrams-per-interval at its default: {flaps} flaps in {elapsed:0} s");
            Console.WriteLine($"  {Before,-13} min-datagrams-per-interval 1 (as before):   {flapsBefore} flaps in {elapsed:0} s");
            string verdict = flaps > 0 ? "NOT MET" : elapsed >= GoalSeconds ? "met    " : "met so far (the goal is stated for 600 s: SOAK_LOSS_SECONDS=600)";
            Console.WriteLine($"  goal          0 flaps in {GoalSeconds} s for a one-page host at down-after {DownAfter}: {verdict}");
            return 0;
        }
        catch (Exception e) when (e is SetupException or InvalidOperationException or IOException or System.Net.Sockets.SocketException)
        {
            Console.Error.WriteLine($"soak: (f) datagram loss: not measured: {e.Message}");
            return 1;
        }
        finally
        {
            foreach (var f in folders) Directory.Delete(f, recursive: true);
        }
    }

    // Down transitions the controller logged for a host (it warns "host NAME is down: ...").
    private static long Downs(ControllerProcess controller, string host) => controller.LinesContaining($"host {host} is down");

}
