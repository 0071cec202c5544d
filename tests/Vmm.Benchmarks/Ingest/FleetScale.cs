// A fleet at its real pace against the AOT controller in its own process: every host sends its complete
// report once a heartbeat interval (1 s), hosts spread over the interval, pages back to back. The
// controller's CPU time over the steady heartbeats (after the first ones, which learn every VM) gives the
// cores it uses; /proc gives its memory. What the controller holds at the end is checked through vmmctl:
// every host up, the datagrams it accepted against those sent, and the VMs of some hosts.
using System.Diagnostics;

namespace Vmm.Benchmarks.Ingest;

/// <param name="Hosts">Hosts in the fleet.</param>
/// <param name="VmsPerHost">VMs on each host.</param>
/// <param name="TargetRate">Datagrams per second the fleet sends at 1 heartbeat a second.</param>
/// <param name="SentRate">Datagrams per second the sender achieved over the measured heartbeats.</param>
/// <param name="MaxLagMs">How far behind its schedule the sender fell at worst.</param>
/// <param name="Cores">Controller CPU time / wall time over the measured heartbeats.</param>
/// <param name="CpuUsPerDatagram">Controller CPU time per datagram it took in over the measured heartbeats.</param>
/// <param name="WindowDrops">Datagrams the kernel dropped from the controller's full queue in the measured heartbeats.</param>
/// <param name="WindowSent">Datagrams sent in the measured heartbeats.</param>
/// <param name="RssKib">Controller resident memory after the last heartbeat.</param>
/// <param name="HwmKib">The most it was resident at any moment.</param>
/// <param name="Accepted">Datagrams the controller says it accepted (the sum over its hosts), over the whole run.</param>
/// <param name="Sent">Datagrams sent to it over the whole run.</param>
/// <param name="KernelDrops">Datagrams the kernel dropped over the whole run (while it learned the fleet, mostly).</param>
/// <param name="Verdict">Null when the controller holds the whole fleet and accounted for every datagram; else what is wrong.</param>
internal sealed record ScaleFigures(int Hosts, int VmsPerHost, double TargetRate, double SentRate, double MaxLagMs,
    double Cores, double CpuUsPerDatagram, long WindowDrops, long WindowSent, long RssKib, long HwmKib,
    long Accepted, long Sent, long KernelDrops, string? Verdict)
{
    /// <summary>Whether the measured heartbeats ran at the fleet's rate: the sender kept pace and the controller took nearly all in.</summary>
    public bool AtFullRate => SentRate >= TargetRate * 0.98 && WindowDrops <= WindowSent / 100;

    /// <summary>Cores at the fleet's full rate: measured when <see cref="AtFullRate"/>, else extrapolated from the CPU a datagram.</summary>
    public double CoresAtFullRate => AtFullRate ? Cores : CpuUsPerDatagram * TargetRate / 1e6;
}

internal static class FleetScale
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs <paramref name="heartbeats"/> heartbeats of <paramref name="fleet"/> against a fresh controller and
    /// measures from the start of heartbeat <paramref name="measureFrom"/> to the end of the last.
    /// </summary>
    public static ScaleFigures Run(string binaries, SimulatedFleet fleet, int heartbeats, int measureFrom, int sampleHosts)
    {
        using var controller = ControllerProcess.Start(binaries, fleet.Key);
        using var sender = new FleetSender(controller.StateEndPoint);
        ProcessSample? from = null;
        long sentAtFrom = 0, dropsAtFrom = 0;
        var run = sender.Paced(fleet, heartbeats, Interval, (k, sent) =>
        {
            if (k != measureFrom) return;
            from = controller.Sample();
            sentAtFrom = sent;
            dropsAtFrom = controller.KernelDrops();
        });
        var to = controller.Sample();
        long dropsAtEnd = controller.KernelDrops();
        // The last host's pages are in the controller's queue or being applied: let it settle before reading memory.
        Thread.Sleep(500);
        var settled = controller.Sample();
        long drops = controller.KernelDrops();

        var window = from ?? throw new InvalidOperationException("the measured heartbeats were never reached");
        double wall = Stopwatch.GetElapsedTime(window.Timestamp, to.Timestamp).TotalSeconds;
        double cpu = to.CpuSeconds - window.CpuSeconds;
        long windowSent = run.Sent - sentAtFrom, windowDrops = dropsAtEnd - dropsAtFrom;
        var (accepted, refused, verdict) = Check(controller, fleet, sampleHosts);
        if (verdict is null && refused > 0) verdict = $"the controller refused {refused} datagrams (stale, duplicate or not authentic)";
        if (verdict is null && accepted + drops != run.Sent)
            verdict = $"of {run.Sent} datagrams sent, the controller accepted {accepted} and the kernel dropped {drops}: {run.Sent - accepted - drops} unaccounted for";
        return new ScaleFigures(fleet.Hosts, fleet.VmsPerHost, fleet.Datagrams / Interval.TotalSeconds, windowSent / wall, run.MaxLagMs,
            cpu / wall, cpu * 1e6 / Math.Max(1, windowSent - windowDrops), windowDrops, windowSent, settled.RssKib, settled.HwmKib,
            accepted, run.Sent, drops, verdict);
    }

    /// <summary>Asks the controller, through vmmctl, what it holds: the datagrams it accepted and refused, and whatever is wrong (null if nothing).</summary>
    private static (long Accepted, long Refused, string? Verdict) Check(ControllerProcess controller, SimulatedFleet fleet, int sampleHosts)
    {
        using var list = controller.Vmmctl("host", "list");
        var hosts = list.RootElement.GetProperty("hosts").EnumerateArray().ToList();
        long accepted = hosts.Sum(h => h.GetProperty("accepted").GetInt64());
        long refused = hosts.Sum(h => h.GetProperty("dropped").GetInt64());
        // A host the controller shows down was silent for 3 heartbeats: the kernel dropped its datagrams, which
        // the drop figures already say; it is still held, so only a host missing from the list is an error.
        if (hosts.Count != fleet.Hosts)
            return (accepted, refused, $"vmmctl host list shows {hosts.Count} hosts, not {fleet.Hosts}");

        // The VMs themselves, of every host when they are few, else of a few hosts spread over the fleet.
        if (fleet.Hosts <= sampleHosts)
        {
            using var vms = controller.Vmmctl("vm", "list");
            int count = vms.RootElement.GetProperty("vms").GetArrayLength();
            long expected = (long)fleet.Hosts * fleet.VmsPerHost;
            return (accepted, refused, count == expected ? null : $"vmmctl vm list shows {count} VMs, not {expected}");
        }
        for (int i = 0; i < sampleHosts; i++)
        {
            string name = SimulatedFleet.HostName((int)((long)i * fleet.Hosts / sampleHosts));
            using var vms = controller.Vmmctl("vm", "list", "--host", name);
            int count = vms.RootElement.GetProperty("vms").GetArrayLength();
            if (count != fleet.VmsPerHost) return (accepted, refused, $"vmmctl vm list --host {name} shows {count} VMs, not {fleet.VmsPerHost}");
        }
        return (accepted, refused, null);
    }
}
