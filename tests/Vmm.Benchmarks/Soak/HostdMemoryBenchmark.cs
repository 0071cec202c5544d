// hostd's memory under requests (issue 12, item 7): an AOT hostd with 50 VMs on libvirt's test driver and a controller
// of its own takes a stream of vm pause/resume requests through vmmctl, a few loops at once; then the same again with
// `--start-up-trim 0s` (nothing given back after start-up), the same binary and load. The two run one after the other,
// not side by side: the trim can page out only pages no other process maps, and two hostds of one binary share theirs
// (so does libvirtd on a real host: the pages of libvirt's libraries it has resident stay in hostd's RSS too).
// A third run goes through a libvirtd of its own (test+unix://), as a real host does (its libvirtd needs root).
// Prints RSS and private dirty at start, 30 s after the start (the trim is at 20 s), and at the end; exits non-zero
// only when a part could not be measured.
//   dotnet run -c Release --project tests/Vmm.Benchmarks -- --hostd-memory
// HOSTD_MEMORY_REQUESTS (per run, default 4,000) and HOSTD_MEMORY_LOOPS (vmmctl loops at once, default 4).
using System.Diagnostics;
using Vmm.Benchmarks.Ingest;
using Vmm.Benchmarks.RoundTrip;
using Vmm.Protocol;

namespace Vmm.Benchmarks.Soak;

internal static class HostdMemoryBenchmark
{
    private const int Vms = 50;
    private static readonly TimeSpan AfterTrim = TimeSpan.FromSeconds(30);

    private sealed record Side(string Label, ControllerProcess Controller, HostdProcess Hostd)
    {
        public int Requests, Failed;
        public string? FirstFailure;
        public MemorySample Start, AfterTrim, End;
        public double Seconds;
        public bool Exited;
    }

    public static int Run()
    {
        long requests = SoakSettings.Read("HOSTD_MEMORY_REQUESTS", 4_000, 100, 10_000_000);
        int loops = (int)SoakSettings.Read("HOSTD_MEMORY_LOOPS", 4, 1, 64);
        string binaries = Path.Combine(IngestBenchmark.RepositoryRoot(), "out");
        Console.WriteLine("hostd memory under requests (issue 12, item 7): an AOT hostd with 50 VMs on the test driver, with and without its start-up trim");
        Console.WriteLine($"  binaries  {binaries}{IngestBenchmark.Staleness(binaries, "vmm-hostd", "hostd", "protocol", "hosting")}");
        Console.WriteLine($"  load      {requests:#,0} vm pause/resume requests per run through vmmctl, {loops} loops at once");
        Console.WriteLine($"  machine   {Environment.ProcessorCount} cpus, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the start");
        var key = ClusterKey.Generate();
        try
        {
            var sides = new[]
            {
                Measure(binaries, key, "as shipped", [], false, requests, loops),
                Measure(binaries, key, "start-up-trim 0s", ["--start-up-trim", "0s"], false, requests, loops),
                Measure(binaries, key, "via libvirtd", [], true, requests, loops),
            };
            Print(sides);
            return sides.Any(s => s.Exited) ? 1 : 0;
        }
        catch (SetupException e)
        {
            Console.Error.WriteLine($"hostd memory: not measured: {e.Message}");
            return 1;
        }
    }

    private static Side Measure(string binaries, ClusterKey key, string label, string[] settings, bool viaLibvirtd,
        long requests, int loops)
    {
        string folder = Directory.CreateTempSubdirectory("vmm-bench-hostd-memory-").FullName;
        try
        {
            using var controller = ControllerProcess.Start(binaries, key);
            var node = TestNode.Write(folder, Vms);
            // The same node through a libvirtd of its own (the remote driver in hostd, as on a real host): the pages of
            // libvirt's libraries that libvirtd keeps resident too are shared, and no trim gives them back.
            using var libvirtd = viaLibvirtd ? PrivateLibvirtd.Start(Directory.CreateDirectory(Path.Combine(folder, "libvirtd")).FullName) : null;
            if (libvirtd is not null) settings = [.. settings, "--libvirt-uri", libvirtd.TestUri(node.Path)];
            using var hostd = HostdProcess.Start(binaries, key, folder, node, "mem-hostd", controller.StateEndPoint, settings);
            Vmmctl.WaitForHost(controller, "mem-hostd", Vms, TimeSpan.FromSeconds(30));
            var side = new Side(label, controller, hostd) { Start = hostd.Memory() };
            var clock = Stopwatch.StartNew();
            var work = Enumerable.Range(0, loops).Select(loop => Task.Run(() => Loop(side, loop, loops, requests))).ToArray();
            Thread.Sleep(AfterTrim);
            side.AfterTrim = hostd.Memory();
            Task.WaitAll(work);
            Thread.Sleep(TimeSpan.FromSeconds(5));   // the last heartbeats and replies settle
            side.End = hostd.Memory();
            side.Seconds = clock.Elapsed.TotalSeconds;
            side.Exited = hostd.HasExited;
            return side;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Loop <paramref name="loop"/> of <paramref name="loops"/>: its share of the requests, each VM of its own
    /// share paused then resumed in turn, so that every request changes a VM and no two loops race on one VM.</summary>
    private static void Loop(Side side, int loop, int loops, long requests)
    {
        var own = Enumerable.Range(0, Vms).Where(v => v % loops == loop).ToArray();
        if (own.Length == 0) return;
        for (long i = 0; i < requests / loops; i++)
        {
            if (side.Hostd.HasExited) return;
            string verb = i / own.Length % 2 == 0 ? "pause" : "resume", vm = $"bench-{own[i % own.Length]:d3}";
            var run = Vmmctl.Run(side.Controller, TimeSpan.FromSeconds(40), "vm", verb, vm);
            Interlocked.Increment(ref side.Requests);
            if (run.Exit == 0) continue;
            Interlocked.Increment(ref side.Failed);
            Interlocked.CompareExchange(ref side.FirstFailure, $"vm {verb} {vm}: {run}", null);
        }
    }

    private static void Print(Side[] sides)
    {
        Console.WriteLine();
        Console.WriteLine($"  {"hostd",-18} {"at start",-34} {"after 30 s",-34} {"at the end",-34} requests");
        foreach (var s in sides)
            Console.WriteLine($"  {s.Label,-18} {s.Start,-34} {s.AfterTrim,-34} {s.End,-34} {s.Requests:#,0}, {s.Failed} failed" +
                (s.FirstFailure is null ? "" : $" (first: {s.FirstFailure})") + $", {s.Seconds:0} s" + (s.Exited ? " (EXITED)" : ""));
        var (shipped, untrimmed) = (sides[0].End, sides[1].End);
        Console.WriteLine();
        Console.WriteLine($"  at the end: RSS {MemorySample.Mb(shipped.RssKib)} against {MemorySample.Mb(untrimmed.RssKib)} " +
            $"({(double)shipped.RssKib / untrimmed.RssKib:0.00}x); private dirty {MemorySample.Mb(shipped.PrivateDirtyKib)} against {MemorySample.Mb(untrimmed.PrivateDirtyKib)}");
        Console.WriteLine($"  goal (issue 12): hostd with 50 VMs at most 30 MB RSS: {(shipped.RssKib <= 30 * 1024 ? "met" : "NOT MET")}");
    }
}
