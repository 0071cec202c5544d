// The ingest loop is what the controller's watchdog trusts: it must go round on a quiet network too.
using System.Diagnostics;
using System.Net;
using NLog;

namespace Vmm.Controller.Tests;

public sealed class IngestLivenessTests
{
    [Fact]
    public async Task With_no_datagrams_at_all_the_loop_still_goes_round()
    {
        var inventory = new FleetInventory(new InventoryOptions(), log: LogManager.CreateNullLogger());
        using var ingest = new UdpIngest(new IPEndPoint(IPAddress.Loopback, 0), new HostKeys(Fleet.Key), inventory, LogManager.CreateNullLogger());
        using var stop = new CancellationTokenSource();
        var running = ingest.RunAsync(stop.Token);

        // Silence grows while the loop waits and drops back when it goes round: seen twice, it went round idle.
        int rounds = 0;
        var previous = ingest.Loop.Silence;
        var until = Stopwatch.StartNew();
        while (rounds < 2 && until.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
            var now = ingest.Loop.Silence;
            if (now < previous) rounds++;
            previous = now;
        }
        Assert.Equal(2, rounds);
        Assert.True(ingest.Loop.IsAlive);
        Assert.Equal(0, inventory.Counters.Accepted);

        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(20));
    }
}
