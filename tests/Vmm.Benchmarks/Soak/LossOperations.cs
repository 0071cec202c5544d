// Part (g) of `make soak-loss` (and of `make soak`), inside the same lossy namespace as part (f), after it: the
// loss now applies to TCP as well as UDP (iptables' statistic match on loopback's INPUT for both), and a controller
// (heartbeat 1 s, down-after 3) carries SOAK_LOSS_OPERATIONS (default 300) pause and resume operations to one hostd
// through vmmctl, 4 loops at once, each on a VM of its own. Every answer waits for the STATE that shows it (the
// controller's read-your-writes settlement), so both directions and both transports are in every figure.
// Figures (issue 14's goal: p99 <= 3 s, 0 lost, 0 doubled):
//   - each operation's wall time through vmmctl, process start included: p50, p99, worst;
//   - lost: an operation whose vmmctl did not exit 0, or that hostd never carried out;
//   - doubled: a request id that hostd carried out more than once (its log line "request ID VM CODE ...: success"
//     for a new execution; a replay from its cache is logged as "replayed", and does not count), or an execution
//     of a pause or resume that no vmmctl asked for;
//   - at the end each VM's power as the controller shows it against the last operation's.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vmm.Benchmarks.Ingest;
using Vmm.Benchmarks.RoundTrip;
using Vmm.Protocol;

namespace Vmm.Benchmarks.Soak;

internal static partial class LossOperations
{
    private const int Loops = 4, DownAfter = 3;
    private static readonly TimeSpan GoalP99 = TimeSpan.FromSeconds(3), Deadline = TimeSpan.FromSeconds(120);

    public static int Operations() => (int)SoakSettings.Read("SOAK_LOSS_OPERATIONS", 300, Loops, 100_000);

    /// <summary>The part itself: <paramref name="probability"/> of loss on TCP is added here to the UDP loss that
    /// lossy-netns.sh set up. Returns 0 when it was measured, whether or not the goal was met.</summary>
    public static int Run(string binaries, string probability, int percent)
    {
        int operations = Operations();
        Console.WriteLine();
        Console.WriteLine($"(g) operations under loss: {operations} pause/resume through vmmctl, {Loops} at once, {percent}% of UDP and of TCP lost on the private loopback");
        LossCounters.AddTcpLoss(probability);
        var key = ClusterKey.Generate();
        string folder = Directory.CreateTempSubdirectory("vmm-soak-ops-").FullName;
        try
        {
            using var controller = ControllerProcess.Start(binaries, key, "--heartbeat-interval", "1s", "--down-after", DownAfter.ToString(),
                "--log-level", Environment.GetEnvironmentVariable("SOAK_CONTROLLER_LOG_LEVEL") is { Length: > 0 } level ? level : "warn");
            var node = TestNode.Write(folder, Loops);
            using var hostd = HostdProcess.Start(binaries, key, folder, node, "lossy", controller.StateEndPoint,
                "--heartbeat-interval", "1s", "--log-level", "info");
            var executed = new ConcurrentQueue<(string Id, string Vm, string Code)>();
            var hostdLines = new ConcurrentQueue<string>();
            hostd.Line += line =>
            {
                hostdLines.Enqueue(line);
                if (Executed().Match(line) is { Success: true } m) executed.Enqueue((m.Groups["id"].Value, m.Groups["vm"].Value, m.Groups["code"].Value));
            };
            Vmmctl.WaitForHost(controller, "lossy", Loops, TimeSpan.FromSeconds(60));
            var (tcpAtStart, tcpDroppedAtStart) = LossCounters.Read("tcp");
            var (udpAtStart, udpDroppedAtStart) = LossCounters.Read("udp");

            var runs = new ConcurrentBag<(VmmctlRun Run, string Vm, string Code, string? Id)>();
            var clock = Stopwatch.StartNew();
            var loops = Enumerable.Range(0, Loops).Select(i => Task.Factory.StartNew(() =>
            {
                string vm = $"bench-{i:d3}";   // TestNode's names
                for (int n = 0; n < operations / Loops + (i < operations % Loops ? 1 : 0); n++)
                {
                    string code = n % 2 == 0 ? "pause" : "resume";
                    var run = Vmmctl.Run(controller, Deadline, "--json", "vm", code, vm);
                    runs.Add((run, vm, code, RequestId(run)));
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            Task.WaitAll(loops);
            double elapsed = clock.Elapsed.TotalSeconds;
            Thread.Sleep(TimeSpan.FromSeconds(1));   // hostd's last log lines reach the reader
            var (tcp, tcpDropped) = LossCounters.Read("tcp");
            var (udp, udpDropped) = LossCounters.Read("udp");

            var times = runs.Select(r => r.Run.Elapsed).Order().ToArray();
            var failed = runs.Where(r => r.Run.Exit != 0).ToList();
            var executions = executed.Where(e => e.Code is "pause" or "resume").GroupBy(e => e.Id).ToDictionary(g => g.Key, g => g.Count());
            var asked = runs.Where(r => r.Id is not null).Select(r => r.Id!).ToHashSet();
            long lost = failed.Count + runs.Count(r => r.Run.Exit == 0 && (r.Id is null || !executions.ContainsKey(r.Id)));
            long doubled = executions.Values.Sum(n => n - 1) + executions.Keys.Count(id => !asked.Contains(id));
            long wrongPower = WrongPower(controller, runs.GroupBy(r => r.Vm).ToDictionary(g => g.Key, g => g.Count() % 2 == 1 ? "paused" : "running"));

            Console.WriteLine($"  loss applied  {Percent(tcpDropped - tcpDroppedAtStart, tcp - tcpAtStart)} of {tcp - tcpAtStart} TCP segments, " +
                              $"{Percent(udpDropped - udpDroppedAtStart, udp - udpAtStart)} of {udp - udpAtStart} UDP datagrams (iptables counters)");
            Console.WriteLine($"  operations    {runs.Count} in {elapsed:0.0} s: p50 {Quantile(times, 0.50):0} ms, p90 {Quantile(times, 0.90):0} ms, p95 {Quantile(times, 0.95):0} ms, p99 {Quantile(times, 0.99):0} ms, worst {times[^1].TotalMilliseconds:0} ms");
            Console.WriteLine($"  lost          {lost} (vmmctl exit not 0: {failed.Count}; {string.Join(", ", failed.GroupBy(f => f.Run.Exit).Select(g => $"exit {g.Key} x{g.Count()}"))})");
            foreach (var f in failed.Take(3))
            {
                Console.WriteLine($"                {f.Code} {f.Vm}: {f.Run}");
                // What hostd said of it: the request id vmmctl's message names.
                if (Regex.Match(f.Run.ToString(), @"request ([0-9a-f]{8}:\d+)") is { Success: true } m)
                    foreach (var line in hostdLines.Where(l => l.Contains(m.Groups[1].Value, StringComparison.Ordinal)).Take(5))
                        Console.WriteLine($"                  hostd: {line}");
            }
            if (failed.Count > 0 || Environment.GetEnvironmentVariable("SOAK_CONTROLLER_LOG_LEVEL") is { Length: > 0 })
            {
                string logs = Path.Combine(Path.GetTempPath(), $"vmm-soak-loss-{Environment.ProcessId}");
                Directory.CreateDirectory(logs);
                File.WriteAllText(Path.Combine(logs, "controller.log"), controller.Output());
                File.WriteAllLines(Path.Combine(logs, "hostd.log"), hostdLines);
                Console.WriteLine($"                the controller's and hostd's logs: {logs}/");
            }
            Console.WriteLine($"  doubled       {doubled} (request ids carried out more than once, or that no vmmctl sent)");
            Console.WriteLine($"  final power   {wrongPower} of {Loops} VMs not as their last operation left them");
            bool met = Quantile(times, 0.99) <= GoalP99.TotalMilliseconds && lost == 0 && doubled == 0 && wrongPower == 0;
            Console.WriteLine($"  goal          p99 <= {GoalP99.TotalSeconds:0} s, 0 lost, 0 doubled: {(met ? "met" : "NOT MET")}");
            return 0;
        }
        catch (Exception e) when (e is SetupException or InvalidOperationException or IOException or System.Net.Sockets.SocketException)
        {
            Console.Error.WriteLine($"soak: (g) operations under loss: not measured: {e.Message}");
            return 1;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // hostd's line for a request it carried out (RequestProcessor.Answer); "replayed from the cache" lines differ.
    [GeneratedRegex(@"request (?<id>[0-9a-f]{8}:\d+) (?<vm>[0-9a-f-]{36}) (?<code>[a-z-]+) from \S+: success in ")]
    private static partial Regex Executed();

    private static string? RequestId(VmmctlRun run)
    {
        if (run.Exit != 0 || run.Output.Length == 0) return null;
        try
        {
            using var json = JsonDocument.Parse(run.Output);
            // --json gives the id as a decimal string; hostd logs it as origin:counter (spec §7.1).
            return json.RootElement.TryGetProperty("request-id", out var id) && ulong.TryParse(id.GetString(), out ulong v)
                ? $"{(uint)(v >> 32):x8}:{(uint)v}" : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // VMs whose power the controller shows differently from what the last operation on them left.
    private static int WrongPower(ControllerProcess controller, Dictionary<string, string> expected)
    {
        int wrong = 0;
        foreach (var (vm, power) in expected)
        {
            using var show = controller.Vmmctl("vm", "show", vm);
            var shown = show.RootElement.TryGetProperty("vms", out var vms) ? vms[0] : show.RootElement;
            if (shown.GetProperty("power").GetString() != power) wrong++;
        }
        return wrong;
    }

    private static double Quantile(TimeSpan[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)].TotalMilliseconds;

    private static string Percent(long part, long whole) => whole == 0 ? "0%" : $"{100.0 * part / whole:0.0}%";
}
