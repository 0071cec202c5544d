// `dotnet run -c Release --project tests/Vmm.Benchmarks -- --ha` (root, the Makefile's LIBVIRT_PACKAGES, `make build`):
// HA restart on real QEMU (spec §15) at the default settings (lease-interval 1 s, fence-after 5 s, ha-margin 1 s). One
// HA VM; each trial cuts the host it runs on off the controller (its hostd's network link down; hostd and libvirtd
// run on), measures the time until virsh on the other host says it runs, checks that it never ran on both (virsh on
// both every 100 ms), joins the host again and waits for its fenced copy to be removed. The next trial cuts the
// other host. HA_MODE frozen instead freezes the host's hostd and libvirtd (SIGSTOP; QEMU runs on), so that only
// its watchdog (a stand-in, FakeWatchdog, which kills the host's QEMU once no pet came for watchdog-timeout 3 s)
// ends the old copy; HA_MODE both (the default) runs the cut trials, then the frozen ones. Each sample also counts
// the processes holding the VM's disk open for writing (OpenDisks): two at once is a double writer.
// HA_TRIALS trials a mode (default 20); goal: every restart within 10 s, never two copies, never two writers.
using System.Diagnostics;
using Vmm.E2E.Harness;

namespace Vmm.Benchmarks.E2E;

internal static class HaBenchmark
{
    private static readonly TimeSpan GoalRestart = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public static int Run()
    {
        int trials = int.TryParse(Environment.GetEnvironmentVariable("HA_TRIALS"), out int n) && n > 0 ? n : 20;
        QemuCluster cluster;
        try
        {
            cluster = QemuCluster.Start(isolateHostd: true, "a", "b");
        }
        catch (E2EException e)
        {
            Console.Error.WriteLine($"ha: {e.Message}");
            return 1;
        }
        using (cluster)
        try
        {
            return Trials(cluster, trials);
        }
        catch (Exception e) when (e is E2EException or TimeoutException)
        {
            Console.Error.WriteLine($"ha: {e.Message}");
            return 1;
        }
    }

    private static int Trials(QemuCluster c, int trials)
    {
        string mode = Environment.GetEnvironmentVariable("HA_MODE") ?? "both";
        string[] modes = mode == "both" ? ["cut", "frozen"] : [mode];
        if (modes.Any(m => m is not ("cut" or "frozen"))) throw new E2EException($"HA_MODE {mode}: cut, frozen or both");
        string vm = $"ha-bench-{Guid.NewGuid().ToString("N")[..6]}";
        Ok(c, "vm", "create", "--name", vm, "--host", "a", "--memory", "64M", "--disk", "16M", "--ha");
        c.Until(() => c.Vm(vm) is not null, $"{vm} in the inventory");
        Ok(c, "vm", "start", vm);
        Console.WriteLine($"HA restart, real QEMU (TCG), 2 hosts, heartbeat {QemuCluster.HeartbeatText}, lease defaults, watchdog-timeout "
            + $"{QemuHost.WatchdogTimeout.TotalSeconds:0} s (a stand-in device); {trials} trials a mode ({string.Join(", ", modes)}); {Environment.ProcessorCount} cores");
        string from = "a";
        var rows = new List<string>();
        bool met = true;
        foreach (var m in modes)
        {
            var r = Mode(c, vm, m, trials, ref from);
            rows.Add(r.Row);
            met &= r.Met;
        }
        Console.WriteLine();
        Console.WriteLine($"{"figure",-44} {"n",4} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"samples",8} {"on both",8} {"2 writers",9} {"watchdog",8}");
        foreach (var row in rows) Console.WriteLine(row);
        Console.WriteLine($"goal (every restart within {GoalRestart.TotalSeconds:0} s, never two copies, never two writers): {(met ? "met" : "NOT met")}");
        Ok(c, "vm", "delete", vm, "--force");
        return 0;
    }

    private static (string Row, bool Met) Mode(QemuCluster c, string vm, string mode, int trials, ref string from)
    {
        var restarts = new List<double>();
        int twice = 0, writers = 0;
        int fired = c.Hosts.Sum(h => h.Watchdog?.Fired ?? 0);
        using var watch = new TwoCopies(c["a"], c["b"], vm);
        for (int i = 1; i <= trials; i++)
        {
            var source = c[from];
            var target = c[from == "a" ? "b" : "a"];
            c.Until(() => watch.RunningOn == source.Name && c.Vm(vm)?.GetProperty("power").GetString() == "running", $"{vm} running on {source.Name}", Deadline);
            // The lease held, as the controller says once per holder change: give it a renewal or two after the last trial.
            Thread.Sleep(TimeSpan.FromSeconds(2));
            int before = watch.Both.Count, writersBefore = watch.DoubleWriters.Count;
            var cut = Stopwatch.StartNew();
            Fault(source, mode, true);
            try
            {
                c.Until(() => watch.RunningOn == target.Name, $"{vm} running on {target.Name}", Deadline);
                restarts.Add(cut.Elapsed.TotalMilliseconds);
            }
            finally
            {
                Fault(source, mode, false);
            }
            // virsh domstate fails once the domain is gone from the host.
            c.Until(() => source.Virsh("domstate", vm).Code != 0, $"the old copy of {vm} removed from {source.Name}", Deadline);
            twice += watch.Both.Count - before;
            writers += watch.DoubleWriters.Count - writersBefore;
            Console.WriteLine($"{mode} trial {i,2}: {source.Name} {(mode == "cut" ? "cut off" : "frozen")} -> running on {target.Name} in {restarts[^1],7:0} ms; "
                + $"on both: {watch.Both.Count - before}; two writers: {watch.DoubleWriters.Count - writersBefore}");
            from = target.Name;
        }
        watch.Stop();
        foreach (var w in watch.DoubleWriters) Console.WriteLine($"  two writers at {w}");
        var sorted = restarts.Order().ToArray();
        double P(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        int resets = c.Hosts.Sum(h => h.Watchdog?.Fired ?? 0) - fired;
        string what = mode == "cut" ? "host cut off -> HA VM running on the other" : "host frozen -> HA VM running on the other";
        string row = $"{what,-44} {sorted.Length,4} {P(0.5),8:0} {P(0.99),8:0} {sorted[^1],8:0} {watch.Samples,8} {twice,8} {writers,9} {resets,8}";
        return (row, sorted[^1] <= GoalRestart.TotalMilliseconds && twice == 0 && writers == 0);
    }

    // cut: the host's hostd loses its network link; frozen: its hostd and libvirtd are stopped (SIGSTOP).
    private static void Fault(QemuHost host, string mode, bool on)
    {
        if (mode == "cut") host.CutOff(on);
        else host.Freeze(on);
    }

    private static void Ok(QemuCluster c, params string[] args)
    {
        var r = c.Ctl(args);
        if (r.Code != 0) throw new E2EException($"vmmctl {string.Join(' ', args)}: {r}\n{c.Logs()}");
    }
}
