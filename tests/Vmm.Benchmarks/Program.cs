// Entry point of `make bench`:
//   dotnet run -c Release --project tests/Vmm.Benchmarks -- --filter '*'
// With the filter '*' (everything), the request round trip of hostd against libvirtd (RoundTrip/, about a
// minute, needs root and libvirt-daemon) runs first, then the controller's UDP ingest (Ingest/, about a
// minute, needs `make build`'s out/vmm-controller and out/vmmctl), then the codec benchmarks.
// `-- --roundtrip` runs only the round trip; `-- --ingest` only the UDP ingest; `-- --metrics` only the metrics
// scrape at 10,000 hosts x 100 VMs (Metrics/, in process and the AOT controller); `-- --soak` the soak of
// `make soak` (Soak/: SOAK_SECONDS and the other SOAK_* settings in the environment), never part of '*';
// `-- --loss` only the soak's part (f), hosts under datagram loss (SOAK_LOSS_SECONDS, SOAK_LOSS_PERCENT).
// `-- --trust` the restart figures of `make trust` (Trust/: TRUST_RESTARTS), never part of '*' either.
// `-- --hostd-memory` hostd's memory under requests, as shipped and without its start-up trim side by side
// (Soak/HostdMemoryBenchmark: HOSTD_MEMORY_REQUESTS, HOSTD_MEMORY_LOOPS), never part of '*'.
// `-- --check` only builds and checks the fixtures and prints their sizes (a few seconds, no benchmark).
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Perfolizer.Horology;
using Vmm.Benchmarks.Ingest;
using Vmm.Benchmarks.RoundTrip;

namespace Vmm.Benchmarks;

public static class Program
{
    /// <summary>The goal of the issue: every hot Vmm row at least this many times faster than protobuf.</summary>
    private const double GoalSpeedup = 3.0;

    public static int Main(string[] args)
    {
        // The round trip first, on the main thread (the private libvirtd it starts is tied to that thread).
        if (args.Contains("--roundtrip")) return RoundTripBenchmark.Run();
        if (args.Contains("--ingest")) return IngestBenchmark.Run();
        if (args.Contains("--metrics")) return Vmm.Benchmarks.Metrics.ScrapeBenchmark.Run();
        if (args.Contains("--hostd-memory")) return Vmm.Benchmarks.Soak.HostdMemoryBenchmark.Run();
        if (args.Contains("--soak")) return Vmm.Benchmarks.Soak.SoakBenchmark.Run();
        if (Vmm.Benchmarks.Soak.LossSoak.IsInner(args)) return Vmm.Benchmarks.Soak.LossSoak.RunInner();
        if (args.Contains("--loss")) return Vmm.Benchmarks.Soak.LossSoak.Run();
        if (args.Contains("--trust")) return Vmm.Benchmarks.Trust.TrustBenchmark.Run();
        if (args.Contains("--e2e")) return Vmm.Benchmarks.E2E.E2EBenchmark.Run();
        if (args.Contains("--ha")) return Vmm.Benchmarks.E2E.HaBenchmark.Run();
        int roundTrip = FilterIsEverything(args) ? RoundTripBenchmark.Run() : 0;
        int ingest = FilterIsEverything(args) ? IngestBenchmark.Run() : 0;
        int endToEnd = FilterIsEverything(args) ? Vmm.Benchmarks.E2E.E2EBenchmark.Run() : 0;
        int metrics = FilterIsEverything(args) ? Vmm.Benchmarks.Metrics.ScrapeBenchmark.Run() : 0;
        int ha = FilterIsEverything(args) ? Vmm.Benchmarks.E2E.HaBenchmark.Run() : 0;

        var fixtures = new Fixtures();
        fixtures.Check();
        Console.WriteLine("Encoded sizes (fixtures checked: both formats round-trip and carry the same information):");
        foreach (var line in fixtures.SizeLines()) Console.WriteLine(line);
        if (args.Contains("--check")) return 0;

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, Config()).ToList();
        bool failed = false;
        foreach (var summary in summaries)
        {
            if (summary.HasCriticalValidationErrors) failed = true;
            ReportGoal(summary);
            Console.WriteLine($"Reports (GitHub markdown, csv, html) in {summary.ResultsDirectoryPath}:");
            foreach (var md in Directory.EnumerateFiles(summary.ResultsDirectoryPath, "*-report-github.md"))
                Console.WriteLine($"  {md}");
        }
        return failed || roundTrip != 0 || ingest != 0 || endToEnd != 0 || metrics != 0 || ha != 0 ? 1 : 0;
    }

    private static bool FilterIsEverything(string[] args)
    {
        int i = Array.IndexOf(args, "--filter");
        return i >= 0 && i + 1 < args.Length && args[i + 1] == "*";
    }

    /// <summary>
    /// Short enough for a 2-core machine shared with other work: one launch, 3 warmup and 8 measured
    /// iterations of 250 ms. Ratios are shown as "Nx faster" against the protobuf row of each category.
    /// </summary>
    private static IConfig Config()
    {
        var job = Job.Default
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(8)
            .WithIterationTime(TimeInterval.FromMilliseconds(250))
            .WithId("Short");
        return ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(job)
            .WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend))
            .WithOptions(ConfigOptions.JoinSummary)
            // The child process is built first: on a loaded 2-core machine that takes longer than the default 2 minutes.
            .WithBuildTimeout(TimeSpan.FromMinutes(10));
    }

    /// <summary>Prints, for each goal row, its speed-up over protobuf and its allocation, and whether both meet the goal.</summary>
    private static void ReportGoal(Summary summary)
    {
        var rows = summary.Reports.Where(r => r.ResultStatistics is not null).ToList();
        var baselines = rows
            .Where(r => r.BenchmarkCase.Descriptor.Baseline)
            .ToDictionary(r => string.Join(",", r.BenchmarkCase.Descriptor.Categories), r => r.ResultStatistics!.Mean);
        var goal = rows.Where(r => CodecBenchmarks.GoalRows.Contains(r.BenchmarkCase.Descriptor.WorkloadMethod.Name)).ToList();
        if (goal.Count == 0) return;

        Console.WriteLine();
        Console.WriteLine($"Goal: every Vmm row at least {GoalSpeedup:0}x faster than protobuf, 0 bytes allocated per operation.");
        foreach (var r in goal)
        {
            string category = string.Join(",", r.BenchmarkCase.Descriptor.Categories);
            double mean = r.ResultStatistics!.Mean;
            long? bytes = r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase);
            bool known = baselines.TryGetValue(category, out double b);
            double speedup = known ? b / mean : 0;
            string speed = !known ? "   no baseline" : speedup >= 1 ? $"{speedup,6:0.00}x faster" : $"{1 / speedup,6:0.00}x slower";
            bool ok = known && speedup >= GoalSpeedup && bytes == 0;
            Console.WriteLine($"  {(ok ? "met    " : "NOT MET")}  {category,-14} {r.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo,-22} {mean,9:0.0} ns  {speed}  {bytes?.ToString() ?? "?",5} B allocated");
        }
    }
}
