using NLog;
using Vmm.Hosting.Systemd;
using Vmm.Hosting.Tests.Support;

namespace Vmm.Hosting.Tests.Systemd;

public sealed class ServiceMonitorTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly Logger Quiet = new LogFactory().GetLogger("test");

    // A status that changes every time it is asked, so that each round of the monitor sends one datagram.
    private static Func<string> Counting()
    {
        int n = 0;
        return () => "round " + Interlocked.Increment(ref n);
    }

    [Fact]
    public async Task A_loop_that_goes_round_gets_the_watchdog_pinged()
    {
        using var systemd = new NotifyReceiver(_dir["notify"]);
        var notifier = new ServiceNotifier(systemd.Address, TimeSpan.FromMilliseconds(100));
        var loop = new Liveness("test loop", TimeSpan.FromHours(1));
        using var stop = new CancellationTokenSource();
        var monitor = ServiceMonitor.RunAsync(notifier, [loop], Counting(), Quiet, stop.Token);

        var got = Enumerable.Range(0, 6).Select(_ => systemd.Receive()).ToList();
        await stop.CancelAsync();
        await monitor;
        Assert.Contains("WATCHDOG=1\n", got);
        Assert.Contains(got, m => m.StartsWith("STATUS=round ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_silent_loop_stops_the_pings_while_the_status_goes_on()
    {
        using var systemd = new NotifyReceiver(_dir["notify"]);
        var notifier = new ServiceNotifier(systemd.Address, TimeSpan.FromMilliseconds(100));
        var alive = new Liveness("good loop", TimeSpan.FromHours(1));
        var stuck = new Liveness("stuck loop", TimeSpan.FromTicks(1));
        SpinWait.SpinUntil(() => !stuck.IsAlive);
        using var stop = new CancellationTokenSource();
        var monitor = ServiceMonitor.RunAsync(notifier, [alive, stuck], Counting(), Quiet, stop.Token);

        var got = Enumerable.Range(0, 6).Select(_ => systemd.Receive()).ToList();
        await stop.CancelAsync();
        await monitor;
        Assert.All(got, m => Assert.StartsWith("STATUS=round ", m));
    }

    [Fact]
    public void Liveness_is_alive_until_it_has_been_silent_longer_than_allowed()
    {
        var loop = new Liveness("loop", TimeSpan.FromMilliseconds(20));
        Assert.True(SpinWait.SpinUntil(() => !loop.IsAlive, TimeSpan.FromSeconds(20)));
        loop.Tick();
        Assert.True(loop.Silence < TimeSpan.FromSeconds(20));
        Assert.Equal("loop", loop.Name);
    }
}
