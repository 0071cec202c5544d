// hostd's watchdog (spec §15.3) against a stand-in device, a plain file each pet is written to, on a hand-moved
// clock: pets stop when the lease runs short, come back with a renewal or once the fencer has fenced, and a clean
// stop ends with the magic close.
using NLog;
using Vmm.Hostd.Internal;
using Vmm.Hostd.Tests.Daemon;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Ha;

public sealed class WatchdogTests : IDisposable
{
    private const uint F = 5000;
    private long _now = 10_000_000;
    private readonly string _dir = Directory.CreateTempSubdirectory("vmm-watchdog-").FullName;
    private readonly BlockingWorkers _workers = new("test-watchdog");
    private readonly FakeHypervisor _hypervisor = new();

    public void Dispose()
    {
        _workers.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string Device => Path.Combine(_dir, "watchdog");

    private (Lease, Watchdog) Make()
    {
        File.WriteAllBytes(Device, []);
        var lease = new Lease(null, () => _now, "boot-1");
        return (lease, Watchdog.Open(Device, TimeSpan.FromSeconds(3), lease, LogManager.CreateNullLogger())!);
    }

    private long Pets => new FileInfo(Device).Length;

    // A renewal every second, as a controller sends them: the second echoes the first's token.
    private static ulong Renew(Lease lease, ulong token) => lease.Renew("ctl-1", token, F).Token;

    [Fact]
    public void No_device_no_watchdog() => Assert.Null(Watchdog.Open("", TimeSpan.FromSeconds(3), new Lease(null), LogManager.CreateNullLogger()));

    [Fact]
    public void A_device_that_cannot_be_opened_is_one_line()
    {
        var e = Assert.Throws<WatchdogException>(() => Watchdog.Open(Path.Combine(_dir, "none", "watchdog"), TimeSpan.FromSeconds(3), new Lease(null),
            LogManager.CreateNullLogger()));
        Assert.StartsWith("watchdog-device ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Pets_run_while_renewals_come_and_stop_when_the_lease_runs_short()
    {
        var (lease, watchdog) = Make();
        using (watchdog)
        {
            ulong token = Renew(lease, 0);
            // Not extended yet (no token echoed): lapsed and not fenced, so no pet.
            Assert.False(watchdog.Check());
            for (int i = 0; i < 10; i++)
            {
                _now += 1000;
                token = Renew(lease, token);
                Assert.True(watchdog.Check(), $"renewal {i}: {lease.RemainingMs} ms left");
                _now += 900;
                Assert.True(watchdog.Check(), $"before renewal {i + 1}: {lease.RemainingMs} ms left");
                _now -= 900;
            }
            long pets = Pets;
            Assert.Equal(20, pets);
            // The controller falls silent: pets go on while 2.5 s (3 s less the reach) or more are left, then stop.
            while (lease.RemainingMs >= 2500)
            {
                Assert.True(watchdog.Check());
                _now += 50;
            }
            long last = Pets;
            Assert.True(last > pets);
            for (; !lease.Lapsed; _now += 50) Assert.False(watchdog.Check());
            Assert.False(watchdog.Check());
            Assert.Equal(last, Pets);
            // Once: before the first extension the lease had never run, and the fencer's first round was awaited quietly.
            Assert.Equal(1, watchdog.Counters.Withheld);
        }
    }

    [Fact]
    public async Task Pets_come_back_once_the_fencer_has_fenced()
    {
        var (lease, watchdog) = Make();
        using (watchdog)
        {
            var uuid = _hypervisor.Define("web-01", PowerState.Running);
            _hypervisor.Set(_hypervisor.Get(uuid)! with { Flags = VmFlags.Ha });
            var fencer = new Fencer(lease, _hypervisor, _workers, false, TimeSpan.FromSeconds(5), _ => { }, LogManager.CreateNullLogger(), null);
            Renew(lease, Renew(lease, 0));
            _now += F;
            Assert.False(watchdog.Check());
            await fencer.CheckAsync();
            Assert.Equal(PowerState.Off, _hypervisor.Get(uuid)!.Power);
            Assert.True(watchdog.Check());
            Assert.Equal(1, Pets);
        }
    }

    [Fact]
    public async Task A_fence_that_fails_keeps_the_pets_off()
    {
        var (lease, watchdog) = Make();
        using (watchdog)
        {
            var fencer = new Fencer(lease, _hypervisor, _workers, false, TimeSpan.FromSeconds(5), _ => { }, LogManager.CreateNullLogger(), null);
            _hypervisor.SetReachable(false);
            await fencer.CheckAsync();
            Assert.False(watchdog.Check());
            Assert.Equal(0, Pets);
        }
    }

    [Fact]
    public async Task A_clean_stop_ends_with_the_magic_close()
    {
        var (lease, watchdog) = Make();
        using (watchdog)
        {
            lease.MarkFenced(report: false);
            using var stop = new CancellationTokenSource();
            var run = watchdog.RunAsync(stop.Token);
            await stop.CancelAsync();
            await run;
            var written = File.ReadAllBytes(Device);
            Assert.True(written.Length >= 2);
            Assert.Equal((byte)'V', written[^1]);
            Assert.All(written[..^1], b => Assert.Equal((byte)'.', b));
        }
    }
}
