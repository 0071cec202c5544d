// `make soak` (dotnet run -c Release --project tests/Vmm.Benchmarks -- --soak): the long-running and hostile
// figures of issue 12, on the Native AOT binaries of `make build`, loopback only. Every part is bounded in time
// and memory, every process it starts is stopped by its pid, and a goal that is not met is reported, not waited for.
//   (a) hostd with 50 VMs on the test driver, 1 request a second through a controller, for SOAK_SECONDS:
//       RSS and private dirty at 60 s, at 5 min and at the end;
//   (b) at the same time, a controller with 1,000 simulated hosts x 10 VMs at 1 heartbeat a second: RSS at 5 min
//       and at the end;
//   (c) one `vmmctl watch --json > /dev/null` while SOAK_CHANGES VM changes flow: the controller's growth;
//   (d) SOAK_WATCHERS watchers that never read while SOAK_STUCK_CHANGES changes flow: whether each is closed
//       with RESULT unavailable, the growth, the RSS once they are gone, and SIGTERM's time under that load;
//   (e) SOAK_IDLE_CONNECTIONS idle TCP connections from 127.0.0.2 to hostd, then a controller request's time;
//   (f) one-page hosts under SOAK_LOSS_PERCENT datagram loss for SOAK_LOSS_SECONDS: their flaps (LossSoak).
//   (g) then SOAK_LOSS_OPERATIONS pause/resume under the same loss of TCP and UDP: p99, lost, doubled (LossOperations).
// A flow of changes stops early when the controller's RSS passes SOAK_RSS_CAP_MB, and the report says so.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Vmm.Benchmarks.Ingest;
using Vmm.Benchmarks.RoundTrip;
using Vmm.Protocol;

namespace Vmm.Benchmarks.Soak;

internal static class SoakBenchmark
{
    private const int HostdVms = 50, FleetHosts = 1_000, FleetVms = 10;
    private const long GoalHostdRssKib = 30 * 1024, GoalHostdGrowthKib = 1024;
    private const double GoalFleetDrift = 0.10;
    private const long GoalReadingGrowthKib = 10 * 1024, GoalStuckGrowthKib = 20 * 1024, ReturnedSlackKib = 5 * 1024;
    private static readonly TimeSpan GoalSigterm = TimeSpan.FromSeconds(2), GoalServed = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(30), SigtermWait = TimeSpan.FromSeconds(10);

    public static int Run()
    {
        SoakSettings s;
        try { s = SoakSettings.FromEnvironment(); }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"soak: {e.Message}");
            return 2;
        }
        string binaries = Path.Combine(IngestBenchmark.RepositoryRoot(), "out");
        var key = ClusterKey.Generate();
        PrintSetup(s, binaries);
        var failures = new List<string>();

        // (a) and (b) side by side, for SOAK_SECONDS.
        FleetFigures? fleet = null;
        var fleetRun = new Thread(() => fleet = Attempt("(b) controller, 1,000 hosts", failures, () => FleetSoak(binaries, s))) { Name = "soak-fleet" };
        fleetRun.Start();
        var hostd = Attempt("(a) hostd, 50 VMs", failures, () => HostdSoak(binaries, key, s));
        fleetRun.Join();
        PrintHostd(hostd, s);
        PrintFleet(fleet, s);

        var reading = Attempt("(c) reading watcher", failures, () => ReadingWatcher(binaries, key, s));
        PrintReading(reading, s);
        var stuck = Attempt("(d) watchers that never read", failures, () => StuckWatchers(binaries, key, s));
        PrintStuck(stuck, s);
        var idle = Attempt("(e) idle connections", failures, () => IdleConnections(binaries, key, s));
        PrintIdle(idle, s);

        PrintGoals(hostd, fleet, reading, stuck, idle, s);
        int loss = LossSoak.Run();
        foreach (var f in failures) Console.Error.WriteLine($"soak: {f}");
        return failures.Count == 0 && loss == 0 ? 0 : 1;
    }

    private static T? Attempt<T>(string part, List<string> failures, Func<T> run) where T : class
    {
        try { return run(); }
        catch (Exception e) when (e is SetupException or SocketException or InvalidOperationException or IOException)
        {
            lock (failures) failures.Add($"{part}: not measured: {e.Message}");
            return null;
        }
    }

    private static void PrintSetup(SoakSettings s, string binaries)
    {
        Console.WriteLine();
        Console.WriteLine("Soak (issue 12): the AOT binaries under long-running and hostile load, loopback only");
        Console.WriteLine($"  binaries  {binaries}{IngestBenchmark.Staleness(binaries, "vmm-hostd", "hostd", "protocol", "hosting")}" +
                          $"{IngestBenchmark.Staleness(binaries, "vmm-controller", "controller/daemon", "protocol", "hosting")}");
        Console.WriteLine($"  settings  SOAK_SECONDS={s.Seconds} SOAK_CHANGES={s.Changes} SOAK_STUCK_CHANGES={s.StuckChanges} SOAK_WATCHERS={s.Watchers} " +
                          $"SOAK_IDLE_CONNECTIONS={s.IdleConnections} SOAK_RSS_CAP_MB={s.RssCapMib} SOAK_CHANGE_RATE={s.ChangeRate} (datagrams/s, 8 changes each)");
        Console.WriteLine($"  machine   {Environment.ProcessorCount} cpus, load average {IngestBenchmark.LoadAverage()} at the start");
        Console.WriteLine($"  (a) and (b) run side by side for {s.Seconds} s; (c), (d) and (e) follow, each bounded (about 3 minutes together)");
        Console.WriteLine();
    }

    // ---- (a) hostd at rest, with one request a second ----

    private sealed record HostdFigures(MemorySample First, MemorySample? At60, MemorySample? At300, MemorySample End, double Seconds,
        int Requests, int Failed, string? FirstFailure);

    private static HostdFigures HostdSoak(string binaries, ClusterKey key, SoakSettings s)
    {
        string folder = Directory.CreateTempSubdirectory("vmm-soak-hostd-").FullName;
        try
        {
            using var controller = ControllerProcess.Start(binaries, key);
            var node = TestNode.Write(folder, HostdVms);
            using var hostd = HostdProcess.Start(binaries, key, folder, node, "soak-hostd", controller.StateEndPoint);
            Vmmctl.WaitForHost(controller, "soak-hostd", HostdVms, TimeSpan.FromSeconds(30));
            var clock = Stopwatch.StartNew();
            var first = hostd.Memory();
            MemorySample? at60 = null, at300 = null;
            int requests = 0, failed = 0;
            string? firstFailure = null;
            for (int i = 0; ; i++)
            {
                SleepUntil(clock, i);
                double t = clock.Elapsed.TotalSeconds;
                if (hostd.HasExited) throw new InvalidOperationException($"vmm-hostd exited during the soak: {hostd.LastOutput()}");
                if (at60 is null && t >= 60) at60 = hostd.Memory();
                if (at300 is null && t >= 300) at300 = hostd.Memory();
                if (t >= s.Seconds) break;
                if (i > 0 && i % 300 == 0) Console.WriteLine($"  (a) {i,5} s: hostd {hostd.Memory()}, {requests} requests, {failed} failed");
                // Pause each VM in turn, then resume each: every request changes a VM, as an operator's would.
                string verb = i / HostdVms % 2 == 0 ? "pause" : "resume", vm = $"bench-{i % HostdVms:d3}";
                var run = Vmmctl.Run(controller, TimeSpan.FromSeconds(40), "vm", verb, vm);
                requests++;
                if (run.Exit != 0)
                {
                    failed++;
                    firstFailure ??= $"vm {verb} {vm}: {run}";
                }
            }
            return new HostdFigures(first, at60, at300, hostd.Memory(), clock.Elapsed.TotalSeconds, requests, failed, firstFailure);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void SleepUntil(Stopwatch clock, double second)
    {
        var wait = TimeSpan.FromSeconds(second) - clock.Elapsed;
        if (wait > TimeSpan.Zero) Thread.Sleep(wait);
    }

    private static void PrintHostd(HostdFigures? f, SoakSettings s)
    {
        Console.WriteLine($"(a) vmm-hostd, {HostdVms} VMs on libvirt's test driver, heartbeat 1 s, 1 request a second (vmmctl vm pause/resume through a controller):");
        if (f is null) { Console.WriteLine("    not measured (below)"); Console.WriteLine(); return; }
        Console.WriteLine($"    at start  {f.First}");
        Console.WriteLine($"    at 60 s   {f.At60?.ToString() ?? "not reached (SOAK_SECONDS < 60)"}");
        Console.WriteLine($"    at 5 min  {f.At300?.ToString() ?? "not reached (SOAK_SECONDS < 300)"}");
        Console.WriteLine($"    at end    {f.End} ({f.Seconds:0} s)");
        if (f.At60 is { } m) Console.WriteLine($"    growth from 60 s to the end: RSS {MemorySample.Delta(f.End.RssKib - m.RssKib)}, private dirty {MemorySample.Delta(f.End.PrivateDirtyKib - m.PrivateDirtyKib)}");
        Console.WriteLine($"    requests  {f.Requests}, {f.Failed} failed{(f.FirstFailure is null ? "" : $" (first: {f.FirstFailure})")}");
        Console.WriteLine();
    }

    // ---- (b) the controller with a fleet at its pace ----

    private sealed record FleetFigures(MemorySample? At60, MemorySample? At300, MemorySample End, long Sent, int Hosts, double Seconds);

    private static FleetFigures FleetSoak(string binaries, SoakSettings s)
    {
        var fleet = new SimulatedFleet(FleetHosts, FleetVms, ClusterKey.Generate(), seed: 12);
        using var controller = ControllerProcess.Start(binaries, fleet.Key);
        using var sender = new FleetSender(controller.StateEndPoint);
        const int Slices = 10;   // each heartbeat in 10 slices 100 ms apart: the hosts' phases spread, no spinning
        var clock = Stopwatch.StartNew();
        long sent = 0;
        MemorySample? at60 = null, at300 = null;
        for (int k = 1; k <= s.Seconds; k++)
        {
            for (int slice = 0; slice < Slices; slice++)
            {
                SleepUntil(clock, k - 1 + (double)slice / Slices);
                for (int h = slice * fleet.Hosts / Slices; h < (slice + 1) * fleet.Hosts / Slices; h++) sent += sender.SendHost(fleet, h, k);
            }
            if (k == 60) at60 = ProcessMemory.Read(controller.Pid);
            if (k == 300) at300 = ProcessMemory.Read(controller.Pid);
        }
        Thread.Sleep(500);   // the last host's pages are being applied
        var end = ProcessMemory.Read(controller.Pid);
        using var list = controller.Vmmctl("host", "list");
        int hosts = list.RootElement.GetProperty("hosts").GetArrayLength();
        return new FleetFigures(at60, at300, end, sent, hosts, clock.Elapsed.TotalSeconds);
    }

    private static void PrintFleet(FleetFigures? f, SoakSettings s)
    {
        Console.WriteLine($"(b) vmm-controller, {FleetHosts:#,0} simulated hosts x {FleetVms} VMs at 1 heartbeat a second (Ingest/SimulatedFleet):");
        if (f is null) { Console.WriteLine("    not measured (below)"); Console.WriteLine(); return; }
        Console.WriteLine($"    at 60 s   {f.At60?.ToString() ?? "not reached"}");
        Console.WriteLine($"    at 5 min  {f.At300?.ToString() ?? "not reached (SOAK_SECONDS < 300)"}");
        Console.WriteLine($"    at end    {f.End} ({f.Seconds:0} s), {f.End.HwmKib / 1024.0:0.0} MB at most");
        Console.WriteLine($"    sent      {f.Sent:#,0} datagrams; vmmctl host list shows {f.Hosts:#,0} hosts");
        Console.WriteLine();
    }

    // ---- (c) one watcher that reads everything ----

    private sealed record ReadingFigures(MemorySample Before, MemorySample After, long Changes, bool Capped, bool WatcherRunning, double Seconds);

    private static ReadingFigures ReadingWatcher(string binaries, ClusterKey key, SoakSettings s)
    {
        using var controller = ControllerProcess.Start(binaries, key);
        using var source = new ChangeSource(key, controller.StateEndPoint);
        Vmmctl.WaitForHost(controller, ChangeSource.HostName, ChangeSource.VmCount, TimeSpan.FromSeconds(10), source.Report);
        using var watcher = WatchProcess.Reading(controller.VmmctlPath, controller.AdminSocket);
        Thread.Sleep(1000);   // subscribed
        var before = ProcessMemory.Read(controller.Pid);
        bool capped = false;
        var clock = Stopwatch.StartNew();
        source.Run(s.Changes, s.ChangeRate, () => capped = ProcessMemory.Above(controller.Pid, s.RssCapMib * 1024));
        double seconds = clock.Elapsed.TotalSeconds;
        Thread.Sleep(3000);   // the watcher catches up with what is queued for it
        return new ReadingFigures(before, ProcessMemory.Read(controller.Pid), source.Changes, capped, !watcher.HasExited, seconds);
    }

    private static void PrintReading(ReadingFigures? f, SoakSettings s)
    {
        Console.WriteLine($"(c) one `vmmctl watch --json > /dev/null` while {s.Changes:#,0} VM changes flow (one host, 8 VMs flipping running/paused):");
        if (f is null) { Console.WriteLine("    not measured (below)"); Console.WriteLine(); return; }
        Console.WriteLine($"    sent      {f.Changes:#,0} changes in {f.Seconds:0.0} s{(f.Capped ? $" (STOPPED EARLY: controller RSS passed SOAK_RSS_CAP_MB={s.RssCapMib})" : "")}");
        Console.WriteLine($"    controller before {f.Before}; 3 s after the flow {f.After}; {f.After.HwmKib / 1024.0:0.0} MB at most");
        Console.WriteLine($"    growth    {MemorySample.Delta(f.After.RssKib - f.Before.RssKib)} RSS; the watcher is {(f.WatcherRunning ? "still running" : "gone")}");
        Console.WriteLine();
    }

    // ---- (d) watchers that never read ----

    private sealed record StuckFigures(MemorySample Before, MemorySample AfterFlow, MemorySample AfterIdle, long Changes, bool Capped,
        int ClosedUnavailable, int ClosedOtherwise, int NotClosed, bool CappedWhileClosing, MemorySample AfterClose, TimeSpan? Sigterm, long ChangesAtSigterm);

    private static StuckFigures StuckWatchers(string binaries, ClusterKey key, SoakSettings s)
    {
        using var controller = ControllerProcess.Start(binaries, key);
        using var source = new ChangeSource(key, controller.StateEndPoint);
        Vmmctl.WaitForHost(controller, ChangeSource.HostName, ChangeSource.VmCount, TimeSpan.FromSeconds(10), source.Report);
        long capKib = s.RssCapMib * 1024;

        MemorySample before, afterFlow, afterIdle, afterClose;
        bool capped = false, cappedWhileClosing = false;
        long changes = 0;
        int unavailable = 0, otherwise = 0, notClosed = 0;
        var watchers = Enumerable.Range(0, s.Watchers).Select(_ => WatchProcess.Stuck(controller.VmmctlPath, controller.AdminSocket)).ToList();
        try
        {
            Thread.Sleep(1000);
            before = ProcessMemory.Read(controller.Pid);
            source.Run(s.StuckChanges, s.ChangeRate, () => capped = ProcessMemory.Above(controller.Pid, capKib));
            changes = source.Changes;
            afterFlow = ProcessMemory.Read(controller.Pid);
            Thread.Sleep(5000);   // no input: does it still grow?
            afterIdle = ProcessMemory.Read(controller.Pid);
            // A watcher the controller closed has exited, or exits once what it was sent before RESULT is read: read it.
            // Bounded by time and by the controller's RSS (one that keeps growing is not waited for).
            foreach (var w in watchers) w.Drain();
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < CloseWait && watchers.Any(w => !w.HasExited) && !(cappedWhileClosing = ProcessMemory.Above(controller.Pid, capKib)))
                Thread.Sleep(100);
            foreach (var w in watchers)
            {
                if (!w.HasExited) notClosed++;
                else if (w.ExitCode == 8) unavailable++;   // vmmctl's exit code for RESULT unavailable
                else otherwise++;
            }
        }
        finally
        {
            foreach (var w in watchers) w.Dispose();
        }
        Thread.Sleep(2000);
        afterClose = ProcessMemory.Read(controller.Pid);

        // SIGTERM under that load: the watchers again, changes flowing while the signal arrives.
        var again = Enumerable.Range(0, s.Watchers).Select(_ => WatchProcess.Stuck(controller.VmmctlPath, controller.AdminSocket)).ToList();
        TimeSpan? sigterm;
        long changesAtSigterm;
        try
        {
            Thread.Sleep(1000);
            bool stop = false;
            long from = source.Changes;
            var flow = new Thread(() => source.Run(long.MaxValue, s.ChangeRate, () => Volatile.Read(ref stop) || ProcessMemory.Above(controller.Pid, capKib)))
                { Name = "soak-flow" };
            flow.Start();
            Thread.Sleep(5000);
            changesAtSigterm = source.Changes - from;
            sigterm = controller.Terminate(SigtermWait);
            Volatile.Write(ref stop, true);
            flow.Join();
        }
        finally
        {
            foreach (var w in again) w.Dispose();
        }
        return new StuckFigures(before, afterFlow, afterIdle, changes, capped, unavailable, otherwise, notClosed, cappedWhileClosing, afterClose, sigterm, changesAtSigterm);
    }

    private static void PrintStuck(StuckFigures? f, SoakSettings s)
    {
        Console.WriteLine($"(d) {s.Watchers} `vmmctl watch --json` whose stdout nobody reads, while {s.StuckChanges:#,0} changes flow:");
        if (f is null) { Console.WriteLine("    not measured (below)"); Console.WriteLine(); return; }
        Console.WriteLine($"    sent      {f.Changes:#,0} changes{(f.Capped ? $" (STOPPED EARLY: controller RSS passed SOAK_RSS_CAP_MB={s.RssCapMib})" : "")}");
        Console.WriteLine($"    controller before {f.Before}; after the flow {f.AfterFlow}; 5 s later, no input {f.AfterIdle}");
        Console.WriteLine($"    growth    {MemorySample.Delta(f.AfterFlow.RssKib - f.Before.RssKib)} RSS over the flow, {MemorySample.Delta(f.AfterIdle.RssKib - f.AfterFlow.RssKib)} in the 5 s after it");
        Console.WriteLine($"    closed    {f.ClosedUnavailable} of {s.Watchers} with RESULT unavailable (vmmctl exit 8), {f.ClosedOtherwise} otherwise, " +
                          $"{f.NotClosed} not closed " + (f.CappedWhileClosing
                              ? $"when the controller's RSS passed SOAK_RSS_CAP_MB={s.RssCapMib} while they were read again (stopped by pid)"
                              : $"within {CloseWait.TotalSeconds:0} s of being read again (stopped by pid)"));
        Console.WriteLine($"    after they are gone {f.AfterClose} ({MemorySample.Delta(f.AfterClose.RssKib - f.Before.RssKib)} against before)");
        Console.WriteLine($"    SIGTERM with {s.Watchers} stuck watchers and changes flowing ({f.ChangesAtSigterm:#,0} changes in the 5 s before it): " +
                          (f.Sigterm is { } t ? $"exited in {t.TotalMilliseconds:#,0} ms" : $"had not exited after {SigtermWait.TotalSeconds:0} s (killed)"));
        Console.WriteLine();
    }

    // ---- (e) idle connections from one address ----

    private sealed record IdleFigures(int Opened, int Refused, string? FirstRefusal, double OpenSeconds, MemorySample Hostd,
        VmmctlRun Pause, VmmctlRun Resume, int ClosedByHostd, double HeldSeconds);

    private static IdleFigures IdleConnections(string binaries, ClusterKey key, SoakSettings s)
    {
        string folder = Directory.CreateTempSubdirectory("vmm-soak-idle-").FullName;
        var sockets = new List<Socket>(s.IdleConnections);
        try
        {
            using var controller = ControllerProcess.Start(binaries, key, "--request-timeout", "10s");
            var node = TestNode.Write(folder, HostdVms);
            using var hostd = HostdProcess.Start(binaries, key, folder, node, "soak-idle", controller.StateEndPoint);
            Vmmctl.WaitForHost(controller, "soak-idle", HostdVms, TimeSpan.FromSeconds(30));

            // Before the controller's first request (its first connection): every connection from 127.0.0.2, none sends a byte.
            var attacker = IPAddress.Parse("127.0.0.2");
            var clock = Stopwatch.StartNew();
            int refused = 0;
            string? firstRefusal = null;
            while (sockets.Count < s.IdleConnections && refused < 100 && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(attacker, 0));
                    using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                    socket.ConnectAsync(hostd.RequestEndPoint, timeout.Token).AsTask().GetAwaiter().GetResult();
                    sockets.Add(socket);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    socket.Dispose();
                    refused++;
                    firstRefusal ??= e.Message;
                }
            }
            double openSeconds = clock.Elapsed.TotalSeconds;
            var memory = hostd.Memory();
            var pause = Vmmctl.Run(controller, TimeSpan.FromSeconds(20), "vm", "pause", "bench-000");
            var resume = Vmmctl.Run(controller, TimeSpan.FromSeconds(20), "vm", "resume", "bench-000");
            int closed = sockets.Count(ClosedByPeer);
            return new IdleFigures(sockets.Count, refused, firstRefusal, openSeconds, memory, pause, resume, closed, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            foreach (var socket in sockets) socket.Dispose();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static bool ClosedByPeer(Socket socket)
    {
        try { return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0; }
        catch (SocketException) { return true; }
    }

    private static void PrintIdle(IdleFigures? f, SoakSettings s)
    {
        Console.WriteLine($"(e) {s.IdleConnections:#,0} idle TCP connections from 127.0.0.2 to a hostd (50 VMs), opened before the controller's first request:");
        if (f is null) { Console.WriteLine("    not measured (below)"); Console.WriteLine(); return; }
        Console.WriteLine($"    opened    {f.Opened:#,0} in {f.OpenSeconds:0.0} s; {f.Refused} refused or timed out{(f.FirstRefusal is null ? "" : $" (first: {f.FirstRefusal})")}; hostd then {f.Hostd}");
        Console.WriteLine($"    vmmctl vm pause   {f.Pause}");
        Console.WriteLine($"    vmmctl vm resume  {f.Resume}");
        Console.WriteLine($"    idle      {f.ClosedByHostd:#,0} of {f.Opened:#,0} closed by hostd {f.HeldSeconds:0.0} s after the first was opened");
        Console.WriteLine();
    }

    // ---- the goals ----

    private static void PrintGoals(HostdFigures? a, FleetFigures? b, ReadingFigures? c, StuckFigures? d, IdleFigures? e, SoakSettings s)
    {
        Console.WriteLine("Goals (issue 12):");
        if (a is null) Goal(null, "hostd steady-state RSS and growth: not measured");
        else
        {
            Goal(a.End.RssKib <= GoalHostdRssKib, $"hostd, 50 VMs: RSS {MemorySample.Mb(a.End.RssKib)} at the end; goal at most 30 MB");
            if (a.At60 is { } m)
                Goal(a.End.RssKib - m.RssKib <= GoalHostdGrowthKib, $"hostd, 1 request/s: RSS growth {MemorySample.Delta(a.End.RssKib - m.RssKib)} from 60 s to {a.Seconds:0} s; goal at most 1 MB (over 1 hour: SOAK_SECONDS=3600)");
            else Goal(null, "hostd growth: SOAK_SECONDS < 60");
        }
        if (b?.At300 is { } five)
        {
            double drift = (double)(b.End.RssKib - five.RssKib) / five.RssKib;
            Goal(Math.Abs(drift) <= GoalFleetDrift, $"controller, 1,000 hosts x 10 VMs: RSS {MemorySample.Mb(b.End.RssKib)} at {b.Seconds:0} s against {MemorySample.Mb(five.RssKib)} at 5 min ({drift * 100:+0.0;-0.0}%); goal within 10% (over 1 hour)");
        }
        else Goal(null, $"controller at 1,000 hosts: {(b is null ? "not measured" : "SOAK_SECONDS < 300, no 5-minute figure")}");
        if (c is null) Goal(null, "one reading watcher: not measured");
        else Goal(!c.Capped && c.Changes >= s.Changes && c.After.RssKib - c.Before.RssKib <= GoalReadingGrowthKib,
            $"one reading watcher, {c.Changes:#,0} changes{(c.Capped ? " (stopped at the RSS cap)" : "")}: growth {MemorySample.Delta(c.After.RssKib - c.Before.RssKib)}; goal at most 10 MB over 1,000,000");
        if (d is null) Goal(null, "watchers that never read: not measured");
        else
        {
            Goal(d.ClosedUnavailable == s.Watchers, $"{s.Watchers} watchers that never read: {d.ClosedUnavailable} closed with RESULT unavailable; goal all");
            Goal(!d.Capped && d.AfterIdle.RssKib - d.Before.RssKib <= GoalStuckGrowthKib,
                $"{s.Watchers} watchers that never read: growth {MemorySample.Delta(d.AfterIdle.RssKib - d.Before.RssKib)}{(d.Capped ? " (stopped at the RSS cap)" : "")}; goal at most 20 MB");
            Goal(d.AfterClose.RssKib - d.Before.RssKib <= ReturnedSlackKib,
                $"after they close: RSS {MemorySample.Delta(d.AfterClose.RssKib - d.Before.RssKib)} against before; goal back (within 5 MB)");
            Goal(d.Sigterm is { } t && t <= GoalSigterm,
                $"SIGTERM under that load: {(d.Sigterm is { } u ? $"{u.TotalMilliseconds:#,0} ms" : $"not ended in {SigtermWait.TotalSeconds:0} s")}; goal at most 2 s");
        }
        if (e is null) Goal(null, "idle connections: not measured");
        else
            Goal(e.Pause.Exit == 0 && e.Resume.Exit == 0 && e.Pause.Elapsed <= GoalServed && e.Resume.Elapsed <= GoalServed,
                $"{e.Opened:#,0} idle connections from one address: pause {e.Pause}, resume {e.Resume}; goal served within 1 s");
        Console.WriteLine();
    }

    private static void Goal(bool? met, string line) =>
        Console.WriteLine($"  {(met switch { true => "met    ", false => "NOT MET", null => "?      " })}  {line}");
}
