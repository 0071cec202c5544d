// The fencing half of the lease (spec §15): once the lease lapses, every HA VM that runs here is destroyed (or
// paused: fence-mode), before any controller may start it elsewhere; and again each interval while the lease
// stays lapsed, so an HA VM started by hand meanwhile is fenced too. The host says so in every datagram (status
// fenced) until a renewal is granted. The hypervisor call runs on a worker with a deadline, never on the
// heartbeat path; the check itself is a comparison of monotonic times, every CheckEvery.
using NLog;
using Vmm.Protocol;

namespace Vmm.Hostd.Internal;

/// <summary>What the fencer did, counted.</summary>
internal sealed class FenceCounters
{
    /// <summary>Fence rounds run (the lease was lapsed), VMs fenced, rounds that failed (hypervisor unreachable or slow).</summary>
    public long Rounds, Vms, Failures;
}

/// <summary>Fences the host's HA VMs while its lease is lapsed.</summary>
internal sealed class Fencer(Lease lease, IHypervisor hypervisor, BlockingWorkers workers, bool pause, TimeSpan callTimeout,
    Action<bool> fencedChanged, Logger log, TimeProvider? time = null)
{
    /// <summary>How often the lease's deadline is looked at: the most a fence comes after it (and the margin a
    /// controller allows covers it).</summary>
    public static readonly TimeSpan CheckEvery = TimeSpan.FromMilliseconds(50);

    /// <summary>While the lease stays lapsed, the HA VMs are looked for again this often.</summary>
    public static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _lastRound = long.MinValue;

    public FenceCounters Counters { get; } = new();

    /// <summary>Checks the lease until <paramref name="stop"/>; never faults.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(CheckEvery, _time);
        try
        {
            do
            {
                await CheckAsync().ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One look at the lease: fences when it is lapsed and the last round is older than <see cref="Recheck"/>.</summary>
    internal async Task CheckAsync()
    {
        if (!lease.Lapsed) return;
        long now = _time.GetTimestamp();
        if (_lastRound != long.MinValue && _time.GetElapsedTime(_lastRound, now) < Recheck) return;
        _lastRound = now;
        Interlocked.Increment(ref Counters.Rounds);
        if (!hypervisor.Reachable)
        {
            Interlocked.Increment(ref Counters.Failures);
            log.Error("lease lapsed (holder {0}) but the hypervisor is unreachable: cannot fence HA VMs ({1})",
                lease.Holder ?? "none", hypervisor.UnreachableReason ?? "not connected");
            return;
        }
        IReadOnlyList<string> fenced;
        try
        {
            fenced = await workers.Run(() => hypervisor.FenceHa(pause), callTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HypervisorException or TimeoutException)
        {
            Interlocked.Increment(ref Counters.Failures);
            log.Error("lease lapsed (holder {0}); fencing HA VMs failed: {1}", lease.Holder ?? "none", e.Message);
            return;
        }
        Interlocked.Add(ref Counters.Vms, fenced.Count);
        // A lease that never ran (a fresh start, a first renewal not yet extended) with nothing to fence is nothing to
        // report; it is marked all the same, since another controller may take a lapsed lease only once the host has
        // fenced (Lease.Renew).
        bool report = fenced.Count > 0 || lease.HasRun;
        bool first = report && !lease.Fenced;
        if (!lease.MarkFenced(report) || !report) return;
        if (fenced.Count > 0)
            log.Warn("lease of controller {0} lapsed: fenced itself, {1} {2} HA VM(s): {3}",
                lease.Holder ?? "none", pause ? "paused" : "destroyed", fenced.Count, string.Join(", ", fenced));
        else if (first)
            log.Warn("lease of controller {0} lapsed: fenced itself (no HA VM was running)", lease.Holder ?? "none");
        if (first) fencedChanged(true);
    }
}
