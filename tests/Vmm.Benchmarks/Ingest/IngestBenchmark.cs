// Issue 4's figures: the controller's UDP ingest of authenticated STATE datagrams from simulated hosts.
//   1. Rate, side by side in this process: the controller's UdpIngest + Inventory against a bare receive loop
//      on the same kind of socket, the same sender blasting the same datagrams (RateComparison).
//   2. Memory of the AOT controller (out/vmm-controller) with 1,000 hosts of 10 VMs at 1 heartbeat a second.
//   3. CPU and memory of the AOT controller with 10,000 hosts of 100 VMs at 1 heartbeat a second (FleetScale).
// The goals are ratios of figures taken here and the controller's own CPU time and memory, never wall-clock
// times of this machine alone.
using System.Net.Sockets;
using Vmm.Benchmarks.RoundTrip;
using Vmm.Protocol;

namespace Vmm.Benchmarks.Ingest;

internal static class IngestBenchmark
{
    private const double GoalRatio = 0.8;
    private const double GoalCores = 1.0;
    private const long GoalLargeRssKib = 1L << 20;        // 1 GB
    private const long GoalSmallRssKib = 60L * 1024;      // 60 MB

    private const int LargeHosts = 10_000, LargeVms = 100, LargeHeartbeats = 15, LargeMeasureFrom = 4;
    private const int SmallHosts = 1_000, SmallVms = 10, SmallHeartbeats = 6, SmallMeasureFrom = 3;

    /// <summary>Runs the three parts and prints their figures and the goals; 0 when everything was measured and
    /// checked (goals met or not), 1 when something could not be measured or the controller did not hold what it was sent.</summary>
    public static int Run()
    {
        var key = new ClusterKey(Enumerable.Range(1, ClusterKey.Length).Select(i => (byte)(i * 11)).ToArray());
        string binaries = Path.Combine(RepositoryRoot(), "out");
        var built = System.Diagnostics.Stopwatch.StartNew();
        var large = new SimulatedFleet(LargeHosts, LargeVms, key);
        var small = new SimulatedFleet(SmallHosts, SmallVms, key, seed: 5);
        PrintSetup(large, small, built.Elapsed, binaries);

        bool ok = true;
        RateFigures? rate = null;
        ScaleFigures? smallScale = null, largeScale = null;
        try
        {
            rate = RateComparison.Run(large);
            PrintRate(rate, large);
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException)
        {
            Console.Error.WriteLine($"ingest rate: not measured: {e.Message}");
            ok = false;
        }
        // The in-process inventory (a million VMs) is garbage now; leave the controller process the machine.
        GC.Collect();

        foreach (var (fleet, heartbeats, measureFrom) in new[] { (small, SmallHeartbeats, SmallMeasureFrom), (large, LargeHeartbeats, LargeMeasureFrom) })
        {
            try
            {
                var figures = FleetScale.Run(binaries, fleet, heartbeats, measureFrom, sampleHosts: fleet == small ? SmallHosts : 5);
                PrintScale(figures, heartbeats, measureFrom);
                if (fleet == small) smallScale = figures; else largeScale = figures;
            }
            catch (Exception e) when (e is SetupException or SocketException or InvalidOperationException or IOException)
            {
                Console.Error.WriteLine($"ingest at {fleet.Hosts:#,0} hosts x {fleet.VmsPerHost} VMs: not measured: {e.Message}");
                ok = false;
            }
        }
        ok &= PrintGoals(rate, smallScale, largeScale);
        return ok ? 0 : 1;
    }

    private static void PrintSetup(SimulatedFleet large, SimulatedFleet small, TimeSpan built, string binaries)
    {
        Console.WriteLine();
        Console.WriteLine("UDP ingest (issue 4), side by side in this run:");
        Console.WriteLine($"  fleet     {Describe(large)}");
        Console.WriteLine($"            {Describe(small)}");
        Console.WriteLine("            each VM record: uuid, power, vCPUs, memory, name like \"api-042\", one virtio disk, one virtio NIC;");
        Console.WriteLine("            paged as hostd pages a report (facts on page 0), boot id per host, sequences increasing,");
        Console.WriteLine($"            HMAC-signed with the cluster key (encoded in {built.TotalSeconds:0.0} s before any measurement)");
        Console.WriteLine("  sender    one thread, a connected UDP socket over loopback; stamping and signing is outside the timed");
        Console.WriteLine("            rounds of the rate comparison, and inside the paced runs (as hostd pays it)");
        Console.WriteLine($"  binaries  {binaries}{Staleness(binaries)}");
        Console.WriteLine($"  machine   {Environment.ProcessorCount} cpus, load average {LoadAverage()} at the start, net.core.rmem_max {Sysctl("net/core/rmem_max")}");
        Console.WriteLine();
    }

    private static string Describe(SimulatedFleet f) =>
        $"{f.Hosts:#,0} hosts x {f.VmsPerHost} VMs: {f.PagesOf(0)} datagrams a report, {f.Datagrams:#,0} datagrams " +
        $"({f.Bytes / 1e6:0.0} MB, {f.Bytes / f.Datagrams:0} bytes average) a heartbeat";

    private static void PrintRate(RateFigures r, SimulatedFleet fleet)
    {
        double vms = (double)fleet.Hosts * fleet.VmsPerHost / fleet.Datagrams;
        Console.WriteLine($"Rate: one heartbeat of the {fleet.Hosts:#,0}-host fleet ({fleet.Datagrams:#,0} datagrams) blasted per round, " +
                          $"{RateComparison.Rounds} rounds each in turns after a warm-up;");
        Console.WriteLine("counted is what each receiver took in (the kernel drops what a receiver leaves in a full queue), per second from the first send to the last datagram taken.");
        Console.WriteLine($"{"receiver",-58} {"datagrams/s",12} {"(min-max of rounds)",23} {"VM records/s",13}");
        Row("bare loop: blocking Socket.ReceiveFrom, count", r.Bare, vms);
        Row("controller: UdpIngest + StateIngest + Inventory (JIT)", r.Controller, vms);
        Row("StateIngest.Process alone, no socket (CPU ceiling)", r.ProcessAlone, vms);
        Console.WriteLine($"  controller / bare loop, median of the round-by-round ratios: {r.Ratio:0.00}");
        Console.WriteLine($"  receiving side's CPU a datagram taken in (process CPU less the sender thread's): bare loop {r.BareCpuUs:0.00} us, " +
                          $"controller {r.ControllerCpuUs:0.00} us; so the controller's receive thread ran {r.Controller.Median * r.ControllerCpuUs / 1e6:0.00} " +
                          $"of a core in its rounds (less than 1 while its queue overflowed: the machine gave it no more)");
        Console.WriteLine($"  taken in of what was sent (the kernel dropped the rest from a full queue): bare loop {r.BareShare * 100:0.0}%, " +
                          $"controller {r.ControllerShare * 100:0.0}%");
        Console.WriteLine($"  Process alone: {1e6 / r.ProcessAlone.Median:0.00} us a datagram ({1e6 / r.ProcessAlone.Median / vms * 1000:0} ns a VM record) " +
                          $"once every VM is known; the first pass, learning {fleet.Hosts * fleet.VmsPerHost:#,0} VMs, {r.ProcessFirst:#,0} datagrams/s");
        Console.WriteLine($"  sender: stamping and signing costs {r.StampUs:0.00} us a datagram");
        Console.WriteLine($"  check: {r.Verdict ?? $"the inventory holds all {fleet.Hosts:#,0} hosts and {fleet.Hosts * fleet.VmsPerHost:#,0} VMs, and refused no datagram"}");
        Console.WriteLine();
    }

    private static void Row(string name, Rate rate, double vmsPerDatagram) =>
        Console.WriteLine($"{name,-58} {rate.Median,12:#,0} {$"({rate.Rounds.Min():#,0}-{rate.Rounds.Max():#,0})",23} {rate.Median * vmsPerDatagram,13:#,0}");

    private static void PrintScale(ScaleFigures s, int heartbeats, int measureFrom)
    {
        Console.WriteLine($"{s.Hosts:#,0} hosts x {s.VmsPerHost} VMs at 1 heartbeat a second, AOT controller in its own process " +
                          $"({heartbeats} heartbeats, measured over {measureFrom}..{heartbeats}):");
        Console.WriteLine($"  offered   {s.TargetRate,10:#,0} datagrams/s; the sender reached {s.SentRate:#,0} (at worst {s.MaxLagMs:0} ms behind its schedule)");
        Console.WriteLine($"  CPU       {s.Cores,10:0.000} cores, user + system ({s.CpuUsPerDatagram:0.00} us of controller CPU a datagram taken in)");
        Console.WriteLine($"  dropped   {s.WindowDrops,10:#,0} datagrams by the kernel from the controller's full queue in the measured heartbeats " +
                          $"({100.0 * s.WindowDrops / Math.Max(1, s.WindowSent):0.00}%); {s.KernelDrops:#,0} in the whole run");
        if (!s.AtFullRate)
            Console.WriteLine($"            not at the fleet's full rate: at {s.CpuUsPerDatagram:0.00} us a datagram, {s.TargetRate:#,0} datagrams/s " +
                              $"would take {s.CoresAtFullRate:0.000} cores (an extrapolation)");
        Console.WriteLine($"  memory    {s.RssKib / 1024.0,10:0.0} MB resident after the last heartbeat, {s.HwmKib / 1024.0:0.0} MB at most");
        Console.WriteLine($"  check     {s.Verdict ?? "every host in vmmctl host list, its VMs in vmmctl vm list, every datagram accepted or dropped by the kernel"}; " +
                          $"accepted {s.Accepted:#,0} of {s.Sent:#,0} sent");
        Console.WriteLine();
    }

    private static bool PrintGoals(RateFigures? rate, ScaleFigures? small, ScaleFigures? large)
    {
        Console.WriteLine("Goals (issue 4):");
        bool valid = true;
        if (rate is null) Console.WriteLine("  ?        datagram rate: not measured");
        else
        {
            valid &= rate.Verdict is null;
            Console.WriteLine($"  {Verdict(rate.Verdict is null && rate.Ratio >= GoalRatio)}  datagram rate: controller {rate.Ratio:0.00} of the bare loop's " +
                              $"({rate.Controller.Median:#,0} against {rate.Bare.Median:#,0} datagrams/s); goal at least {GoalRatio:0.0}");
        }
        if (large is null) Console.WriteLine("  ?        10,000 hosts x 100 VMs: not measured");
        else
        {
            valid &= large.Verdict is null;
            Console.WriteLine($"  {Verdict(large.Verdict is null && large.CoresAtFullRate < GoalCores)}  10,000 hosts x 100 VMs at 1 heartbeat/s: " +
                              $"{large.CoresAtFullRate:0.000} cores{(large.AtFullRate ? "" : " (extrapolated: not measured at the full rate)")}; goal under {GoalCores:0}");
            Console.WriteLine($"  {Verdict(large.Verdict is null && large.HwmKib < GoalLargeRssKib)}  10,000 hosts x 100 VMs: {large.HwmKib / 1024.0:0} MB resident at most; goal under 1 GB");
        }
        if (small is null) Console.WriteLine("  ?        1,000 hosts x 10 VMs: not measured");
        else
        {
            valid &= small.Verdict is null;
            Console.WriteLine($"  {Verdict(small.Verdict is null && small.RssKib <= GoalSmallRssKib)}  1,000 hosts x 10 VMs: {small.RssKib / 1024.0:0.0} MB resident " +
                              $"({small.HwmKib / 1024.0:0.0} MB at most); goal at most 60 MB");
        }
        Console.WriteLine();
        return valid;
    }

    private static string Verdict(bool met) => met ? "met    " : "NOT MET";

    /// <summary>The folder holding Vmm.sln, above this program's.</summary>
    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Vmm.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }

    // A binary older than the sources it is built from measures old code: say so.
    private static string Staleness(string binaries) => Staleness(binaries, "vmm-controller", "controller/daemon", "protocol", "hosting");

    /// <summary>A warning when <paramref name="binaries"/>/<paramref name="name"/> is missing or older than the sources under <paramref name="sources"/>; else "".</summary>
    internal static string Staleness(string binaries, string name, params string[] sources)
    {
        var exe = new FileInfo(Path.Combine(binaries, name));
        if (!exe.Exists) return $" (no {name}: run `make build` first)";
        string root = Path.GetDirectoryName(binaries)!;
        var newest = sources
            .Select(d => Path.Combine(root, d))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/"))
            .Select(File.GetLastWriteTimeUtc)
            .DefaultIfEmpty(DateTime.MinValue)
            .Max();
        return newest > exe.LastWriteTimeUtc ? $" (WARNING: {name} is older than its sources: run `make build`)" : "";
    }

    internal static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
    }

    private static string Sysctl(string name)
    {
        try { return File.ReadAllText($"/proc/sys/{name}").Trim(); }
        catch (IOException) { return "?"; }
    }
}
