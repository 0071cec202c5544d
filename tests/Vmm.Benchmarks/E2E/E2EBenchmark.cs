// `dotnet run -c Release --project tests/Vmm.Benchmarks -- --e2e` (root, the Makefile's LIBVIRT_PACKAGES, `make build`):
// the figures of a real-QEMU cluster (the end-to-end tests' harness, tests/Vmm.E2E.Tests/Harness): libvirt event to
// controller inventory latency, host failure detection, controller restart to a whole inventory, and the latency of
// every operation through vmmctl. About two minutes.
using System.Diagnostics;
using System.Text.Json;
using Vmm.E2E.Harness;

namespace Vmm.Benchmarks.E2E;

internal static class E2EBenchmark
{
    private const int EventPairs = 40;
    private const int OperationRounds = 3;
    private const int Failures = 3;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public static int Run()
    {
        QemuCluster cluster;
        try
        {
            cluster = QemuCluster.Start("a", "b");
        }
        catch (E2EException e)
        {
            Console.Error.WriteLine($"e2e: {e.Message}");
            return 1;
        }
        using (cluster)
        try
        {
            Console.WriteLine($"Real QEMU (TCG) cluster: 2 hosts, heartbeat {QemuCluster.HeartbeatText}, down-after 3; {Environment.ProcessorCount} cores");
            var operations = Operations(cluster);
            var events = EventLatency(cluster);
            var detection = FailureDetection(cluster);
            var restart = ControllerRestart(cluster);

            Console.WriteLine();
            Console.WriteLine($"{"figure",-52} {"n",4} {"p50 ms",9} {"p99 ms",9} {"min ms",9} {"max ms",9}");
            Row($"libvirt event -> vmmctl watch ({EventPairs} suspend/resume)", events);
            Row("virsh destroy -> vmmctl watch shows off", events.Destroy);
            Row("kill -9 hostd -> host down in vmmctl watch", detection);
            Row("controller kill -9 + start -> whole inventory", restart);
            foreach (var (op, samples) in operations) Row($"vmmctl {op}", samples);
            return 0;
        }
        catch (Exception e) when (e is E2EException or TimeoutException)
        {
            Console.Error.WriteLine($"e2e: {e.Message}");
            return 1;
        }
    }

    private sealed class Samples : List<double>
    {
        public List<double> Destroy { get; } = [];
    }

    private static void Row(string name, List<double> s)
    {
        if (s.Count == 0) { Console.WriteLine($"{name,-52} {0,4}"); return; }
        var sorted = s.Order().ToArray();
        double P(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        Console.WriteLine($"{name,-52} {s.Count,4} {P(0.5),9:0.0} {P(0.99),9:0.0} {sorted[0],9:0.0} {sorted[^1],9:0.0}");
    }

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    /// <summary>Each operation's wall time through vmmctl (process start to exit), over a few VMs.</summary>
    private static List<(string, List<double>)> Operations(QemuCluster c)
    {
        var table = new List<(string Name, List<double> Samples)>();
        void Time(string op, params string[] args)
        {
            var started = Stopwatch.GetTimestamp();
            var r = c.Ctl(args);
            double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (r.Code != 0 && !(op == "stop (graceful 1s, fails)" && r.Code == 1)) throw new E2EException($"vmmctl {string.Join(' ', args)}: {r}");
            var row = table.FirstOrDefault(t => t.Name == op);
            if (row.Samples is null) table.Add(row = (op, []));
            row.Samples.Add(ms);
        }
        for (int i = 0; i < OperationRounds; i++)
        {
            string vm = $"bench-{i}-{Guid.NewGuid().ToString("N")[..4]}";
            Time("vm create", "vm", "create", "--name", vm, "--host", "a", "--max-vcpus", "2", "--memory", "128M", "--max-memory", "256M", "--disk", "64M");
            c.Until(() => c.Vm(vm) is not null, $"{vm} in the inventory");
            Time("vm start", "vm", "start", vm);
            Time("vm pause", "vm", "pause", vm);
            Time("vm resume", "vm", "resume", vm);
            Time("vm nic add", "vm", "nic", "add", vm, "--bridge", "vmm-e2e0");
            Time("vm disk add", "vm", "disk", "add", vm, "32M");
            Time("vm disk resize", "vm", "disk", "resize", vm, "vdb", "64M");
            Time("vm cpu add", "vm", "cpu", "add", vm);
            Time("vm memory set", "vm", "memory", "set", vm, "192M");
            Time("vm snapshot create", "vm", "snapshot", "create", vm, "s1");
            Time("vm snapshot delete", "vm", "snapshot", "delete", vm, "s1");
            Time("vm restart", "vm", "restart", vm);
            Time("vm migrate (2 disks copied)", "vm", "migrate", vm, "--to", "b");
            Time("stop (graceful 1s, fails)", "vm", "stop", vm, "--timeout", "1s");
            Time("vm stop --force --timeout 0", "vm", "stop", vm, "--force", "--timeout", "0");
            Time("vm delete", "vm", "delete", vm);
        }
        return [.. table.Select(t => (t.Name, t.Samples))];
    }

    /// <summary>
    /// libvirt's lifecycle event as a client of the same libvirtd sees it (virsh event), to the change in vmmctl watch:
    /// hostd's read, its STATE datagram, the controller's inventory and its watch. Both stamped on arrival here.
    /// </summary>
    private static Samples EventLatency(QemuCluster c)
    {
        var a = c["a"];
        string vm = $"events-{Guid.NewGuid().ToString("N")[..4]}";
        c.Ctl("vm", "create", "--name", vm, "--host", "a", "--memory", "64M");
        c.Until(() => c.Vm(vm) is not null, $"{vm} in the inventory");
        c.Ctl("vm", "start", vm);
        c.Until(() => c.Vm(vm) is { } v && v.GetProperty("power").GetString() == "running", $"{vm} running");

        using var libvirt = new Background("stdbuf", "-oL", "virsh", "-c", a.LibvirtUri, "event", "--all", "--loop");
        using var watch = new Background(Repo.Bin("vmmctl"), "--socket", c.SocketPath, "watch", "--host", "a", "--json");
        // Both listening: a pause and resume that both see.
        c.Until(() =>
        {
            a.VirshOk("suspend", vm);
            a.VirshOk("resume", vm);
            return libvirt.Find(0, l => l.Contains("Resumed", StringComparison.OrdinalIgnoreCase)) is not null && watch.Find(0, l => IsVm(l, vm, "running")) is not null;
        }, "virsh event and vmmctl watch listening");

        var samples = new Samples();
        for (int i = 0; i < EventPairs; i++)
        {
            foreach (var (command, word, power) in new[] { ("suspend", "suspended", "paused"), ("resume", "resumed", "running") })
            {
                int l0 = libvirt.Count, w0 = watch.Count;
                a.VirshOk(command, vm);
                long seen = libvirt.WaitFor(l0, l => l.Contains(word, StringComparison.OrdinalIgnoreCase), Deadline, $"libvirt event {word}");
                long shown = watch.WaitFor(w0, l => IsVm(l, vm, power), Deadline, $"watch shows {power}");
                samples.Add(Ms(seen, shown));
            }
        }
        int d0 = libvirt.Count, x0 = watch.Count;
        a.VirshOk("destroy", vm);
        long stopped = libvirt.WaitFor(d0, l => l.Contains("Stopped", StringComparison.OrdinalIgnoreCase), Deadline, "libvirt event stopped");
        samples.Destroy.Add(Ms(stopped, watch.WaitFor(x0, l => IsVm(l, vm, "off"), Deadline, "watch shows off")));
        c.Ctl("vm", "delete", vm);
        return samples;
    }

    /// <summary>kill -9 of hostd b to host b down in vmmctl watch; hostd started again after each.</summary>
    private static List<double> FailureDetection(QemuCluster c)
    {
        var b = c["b"];
        var samples = new List<double>();
        using var watch = new Background(Repo.Bin("vmmctl"), "--socket", c.SocketPath, "watch", "--host", "b", "--json");
        for (int i = 0; i < Failures; i++)
        {
            c.Until(() => c.Host("b") is { } h && h.GetProperty("state").GetString() == "up", "host b up");
            int w0 = watch.Count;
            long killed = Stopwatch.GetTimestamp();
            b.KillHostd();
            long down = watch.WaitFor(w0, l => IsHost(l, "b", "down"), Deadline, "host b down");
            samples.Add(Ms(killed, down));
            b.StartHostd();
        }
        c.Until(() => c.Host("b") is { } h && h.GetProperty("state").GetString() == "up", "host b up again", Deadline);
        return samples;
    }

    /// <summary>Controller kill -9, then start: from the start to a vm list and host list equal to before.</summary>
    private static List<double> ControllerRestart(QemuCluster c)
    {
        var samples = new List<double>();
        string vm = $"inv-{Guid.NewGuid().ToString("N")[..4]}";
        c.Ctl("vm", "create", "--name", vm, "--host", "a", "--memory", "64M");
        c.Until(() => c.Vm(vm) is not null, $"{vm} in the inventory");
        string Snapshot() => string.Join(";", c.Vms().Select(v => $"{v.GetProperty("name")}@{v.GetProperty("host")}:{v.GetProperty("power")}").Order())
            + "|" + string.Join(";", c.HostList().Select(h => $"{h.GetProperty("name")}:{h.GetProperty("state")}").Order());
        string before = Snapshot();
        for (int i = 0; i < Failures; i++)
        {
            c.KillController();
            long started = Stopwatch.GetTimestamp();
            c.StartController();
            c.Until(() => Snapshot() == before, "the inventory as before", Deadline);
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        c.Ctl("vm", "delete", vm);
        return samples;
    }

    private static bool IsVm(string line, string name, string power)
    {
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.TryGetProperty("vm", out var vm) && vm.GetProperty("name").GetString() == name && vm.GetProperty("power").GetString() == power;
    }

    private static bool IsHost(string line, string name, string state)
    {
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.TryGetProperty("host", out var h) && h.GetProperty("name").GetString() == name && h.GetProperty("state").GetString() == state;
    }
}
