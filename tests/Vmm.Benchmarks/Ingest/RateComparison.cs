// The controller's datagram rate against a bare receive loop, in this process, side by side: one sender
// thread blasts a whole heartbeat of the fleet over loopback at (a) BareReceiver and (b) the controller's
// own UdpIngest over a real Inventory, round after round in turns, with the same datagrams, socket kind and
// receive buffer. Each round counts what its receiver actually took in (the kernel drops what a slower
// receiver leaves in its queue), over the time from the first send to the last datagram taken. Before the
// sockets, StateIngest.Process is run alone over the same heartbeats: the controller's CPU ceiling.
using System.Diagnostics;
using System.Net;
using NLog;
using Vmm.Benchmarks.RoundTrip;
using Vmm.Controller.Ingest;
using Vmm.Controller.Inventory;
using Vmm.Controller;

namespace Vmm.Benchmarks.Ingest;

/// <summary>Datagrams per second of each round, and their median.</summary>
internal sealed record Rate(double Median, double[] Rounds)
{
    public static Rate Of(double[] rounds) => new(Measure.Median(rounds), rounds);
}

/// <param name="Bare">The bare loop.</param>
/// <param name="Controller">UdpIngest and Inventory.</param>
/// <param name="Ratio">Median of the round-by-round ratios controller / bare.</param>
/// <param name="ProcessAlone">StateIngest.Process in a loop, steady state (every VM already known).</param>
/// <param name="ProcessFirst">The first pass of Process, which learns every host and VM.</param>
/// <param name="StampUs">The sender's cost to stamp and sign one datagram (what hostd pays per datagram).</param>
/// <param name="BareShare">Share of the datagrams sent in the bare loop's rounds that it took in (the kernel dropped the rest).</param>
/// <param name="ControllerShare">The same for the controller's rounds.</param>
/// <param name="BareCpuUs">CPU of the bare loop's side a datagram received (the process's, less the sender thread's).</param>
/// <param name="ControllerCpuUs">The same for the controller's side.</param>
/// <param name="Verdict">What the inventory held at the end, checked; null when it holds the whole fleet and nothing was refused.</param>
internal sealed record RateFigures(Rate Bare, Rate Controller, double Ratio, Rate ProcessAlone, double ProcessFirst,
    double StampUs, double BareShare, double ControllerShare, double BareCpuUs, double ControllerCpuUs, string? Verdict);

internal static class RateComparison
{
    /// <summary>Rounds of each receiver, after one warm-up round each.</summary>
    public const int Rounds = 6;

    private const int ProcessPasses = 3;

    /// <summary>SO_RCVBUF asked for by both receivers: UdpIngest's default (the kernel caps it at net.core.rmem_max).</summary>
    private const int ReceiveBuffer = 8 << 20;
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(50);

    public static RateFigures Run(SimulatedFleet fleet)
    {
        // No log targets: the figures leave out the cost of writing logs (nothing is logged when all is well).
        var quiet = new LogFactory().GetLogger("vmm-bench");
        var inventory = new FleetInventory(new InventoryOptions(), log: quiet);
        using var ingest = new UdpIngest(new IPEndPoint(IPAddress.Loopback, 0), new HostKeys(fleet.Key), inventory, quiet, ReceiveBuffer);
        int heartbeat = 0;

        // The ceiling: the whole ingest path of each datagram, without a socket.
        var stamp = Stopwatch.StartNew();
        fleet.StampAll(++heartbeat);
        double stampUs = stamp.Elapsed.TotalMicroseconds / fleet.Datagrams;
        var from = PeerAddress.From(IPAddress.Loopback);
        double first = ProcessAll(ingest.Processor, fleet, from);
        var alone = new double[ProcessPasses];
        for (int i = 0; i < alone.Length; i++)
        {
            fleet.StampAll(++heartbeat);
            alone[i] = ProcessAll(ingest.Processor, fleet, from);
        }
        long processed = inventory.Counters.Accepted;
        if (processed != (long)fleet.Datagrams * (ProcessPasses + 1) || inventory.Counters.DroppedTotal != 0)
            throw new InvalidOperationException($"StateIngest.Process accepted {processed} of {fleet.Datagrams * (ProcessPasses + 1)} datagrams " +
                                                $"and dropped {inventory.Counters.DroppedTotal}: the simulated fleet is not what the controller expects");

        using var bare = new BareReceiver(ReceiveBuffer);
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(() => ingest.RunAsync(stop.Token));
        using var toBare = new FleetSender(bare.LocalEndPoint);
        using var toController = new FleetSender(ingest.LocalEndPoint);

        Func<long> bareCount = () => bare.Received, controllerCount = () => inventory.Counters.Accepted;

        long controllerSent = 0, controllerTook = 0, bareSent = 0, bareTook = 0;
        double bareCpu = 0, controllerCpu = 0;
        var bareRates = new double[Rounds];
        var controllerRates = new double[Rounds];
        for (int r = -1; r < Rounds; r++)
        {
            // Both rounds of a pair send freshly stamped datagrams (the controller would drop repeats as duplicates),
            // stamped before the round starts, so stamping costs neither side.
            fleet.StampAll(++heartbeat);
            var b = Round(toBare, fleet, bareCount);
            fleet.StampAll(++heartbeat);
            var c = Round(toController, fleet, controllerCount);
            if (r < 0) continue; // warm-up
            bareRates[r] = b.Rate;
            controllerRates[r] = c.Rate;
            controllerSent += c.Sent;
            controllerTook += c.Received;
            bareSent += b.Sent;
            bareTook += b.Received;
            bareCpu += b.ReceiverCpu;
            controllerCpu += c.ReceiverCpu;
        }
        stop.Cancel();
        ingest.Dispose();
        try { loop.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { }   // the socket closed under the receive

        var bareRate = Rate.Of(bareRates);
        var controllerRate = Rate.Of(controllerRates);
        double ratio = Measure.MedianRatio(controllerRates, bareRates);
        double controllerShare = (double)controllerTook / Math.Max(1, controllerSent), bareShare = (double)bareTook / Math.Max(1, bareSent);
        return new RateFigures(bareRate, controllerRate, ratio, Rate.Of(alone), first, stampUs, bareShare, controllerShare,
            bareCpu * 1e6 / Math.Max(1, bareTook), controllerCpu * 1e6 / Math.Max(1, controllerTook), Check(inventory, fleet));
    }

    /// <summary>Datagrams per second of StateIngest.Process over one heartbeat of the fleet.</summary>
    private static double ProcessAll(StateIngest ingest, SimulatedFleet fleet, PeerAddress from)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < fleet.Datagrams; i++) ingest.Process(fleet.Datagram(i), from);
        return fleet.Datagrams / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <param name="Sent">Datagrams sent.</param>
    /// <param name="Received">Datagrams the receiver took in.</param>
    /// <param name="Rate">Received a second, from the first send to the last datagram taken.</param>
    /// <param name="ReceiverCpu">CPU seconds of the process less the sender's thread: what receiving cost.</param>
    private readonly record struct RoundResult(long Sent, long Received, double Rate, double ReceiverCpu);

    /// <summary>Blasts one heartbeat, then waits until the receiver's count has stood still for <see cref="Quiet"/>.</summary>
    private static RoundResult Round(FleetSender sender, SimulatedFleet fleet, Func<long> received)
    {
        long before = received();
        double processCpu = CpuClock.Process(), senderCpu = CpuClock.Thread();
        long start = Stopwatch.GetTimestamp();
        long sent = sender.Blast(fleet);
        long lastChange = Stopwatch.GetTimestamp(), last = received();
        long quietTicks = (long)(Quiet.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() - lastChange < quietTicks)
        {
            Thread.Sleep(1);
            long now = received();
            if (now != last)
            {
                last = now;
                lastChange = Stopwatch.GetTimestamp();
            }
        }
        double seconds = (lastChange - start) / (double)Stopwatch.Frequency;
        double receiverCpu = CpuClock.Process() - processCpu - (CpuClock.Thread() - senderCpu);
        return new RoundResult(sent, last - before, (last - before) / seconds, receiverCpu);
    }

    /// <summary>Null when the inventory holds every host and VM of the fleet and refused nothing; else what is wrong.</summary>
    private static string? Check(FleetInventory inventory, SimulatedFleet fleet)
    {
        var hosts = inventory.Hosts();
        long vms = hosts.Sum(h => (long)h.VmCount);
        long expected = (long)fleet.Hosts * fleet.VmsPerHost;
        if (hosts.Count != fleet.Hosts || vms != expected)
            return $"the inventory holds {hosts.Count} hosts and {vms} VMs, not {fleet.Hosts} and {expected}";
        long dropped = inventory.Counters.DroppedTotal;
        return dropped == 0 ? null : $"the controller refused {dropped} datagrams (stale, duplicate or not authentic)";
    }
}
