using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>
/// The sweep (a timer thread) and ingest (the ingest thread) run at the same time, each under the lock of
/// the host it handles: what one announces must never take, clear or publish the other's pending changes.
/// </summary>
public sealed class SweepRaceTests
{
    private const int Rounds = 4000, BusyVms = 8, Flappers = 32, FlapperVms = 16;

    [Fact]
    public async Task Sweeps_beside_ingest_lose_no_change_and_throw_nothing()
    {
        var fleet = new Fleet();
        var busy = fleet.Host("hv-busy");
        var flappers = Enumerable.Range(0, Flappers).Select(i => fleet.Host($"hv-flap-{i}")).ToArray();
        using var watcher = fleet.Inventory.Watchers.Subscribe(1 << 30);

        // Built beforehand, so that the ingest thread spends its time applying them. Each round the clock moves
        // one heartbeat interval: hv-busy speaks every round (it stays up, so its changes are announced from
        // the list ingest fills), each flapper every fourth (so the sweeper finds it down, and announces that,
        // while ingest applies hv-busy). Every record of hv-busy carries the round in its memory.
        var flapVms = Enumerable.Range(1000, FlapperVms).Select(n => Vms.Vm(n)).ToArray();
        var busyRounds = Enumerable.Range(1, Rounds)
            .Select(r => busy.Event(Enumerable.Range(1, BusyVms).Select(n => Vms.Vm(n, memoryKib: (ulong)r << 10)).ToArray()))
            .ToArray();
        var flapRounds = Enumerable.Range(0, Rounds / 4 + 1).Select(_ => flappers.Select(f => f.Event(flapVms)).ToArray()).ToArray();

        long sweeps = 0;
        using var done = new CancellationTokenSource();
        var sweeper = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                fleet.Inventory.Sweep();
                sweeps++;
            }
        });
        var ingest = Task.Run(() =>
        {
            try
            {
                for (int round = 1; round <= Rounds; round++)
                {
                    fleet.Silence(1);
                    if (round % 4 == 1)
                        for (int i = 0; i < Flappers; i++) Assert.Equal(DropReason.None, fleet.Send(flappers[i], flapRounds[round / 4][i]));
                    Assert.Equal(DropReason.None, fleet.Send(busy, busyRounds[round - 1]));
                }
            }
            finally
            {
                done.Cancel();
            }
        });
        await Task.WhenAll(ingest, sweeper);

        // Every round of every hv-busy VM reached the watcher: a missing round is a lost change.
        var seen = new Dictionary<Guid, HashSet<ulong>>();
        while (watcher.TryRead(out var change))
        {
            if (change is not VmChange { View: { Host: "hv-busy", Removed: false } view }) continue;
            var state = view.ToState();
            if (!seen.TryGetValue(state.Uuid, out var rounds)) seen[state.Uuid] = rounds = [];
            rounds.Add(state.MemoryKib >> 10);
        }
        for (int n = 1; n <= BusyVms; n++)
        {
            var missing = Enumerable.Range(1, Rounds).Select(r => (ulong)r).Except(seen.GetValueOrDefault(Vms.Uuid(n)) ?? []).ToList();
            Assert.True(missing.Count == 0,
                $"vm-{n}: {missing.Count} of {Rounds} rounds never reached the watcher (first {string.Join(", ", missing.Take(5))}); {sweeps} sweeps ran");
        }
    }
}
