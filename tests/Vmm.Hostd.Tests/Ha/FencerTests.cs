// Fencing (spec §15.3): once the lease lapses, the HA VMs that run are destroyed (or paused), the others untouched.
using NLog;
using Vmm.Hostd.Internal;
using Vmm.Hostd.Tests.Daemon;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Ha;

public sealed class FencerTests : IDisposable
{
    private const uint F = 5000;
    private long _now = 10_000_000;
    private readonly BlockingWorkers _workers = new("test-fence");
    private readonly FakeHypervisor _hypervisor = new();
    private readonly List<bool> _changes = [];

    public void Dispose() => _workers.Dispose();

    private (Lease, Fencer) Make(bool pause = false)
    {
        var lease = new Lease(null, () => _now, "boot-1");
        var fencer = new Fencer(lease, _hypervisor, _workers, pause, TimeSpan.FromSeconds(5), c => { lock (_changes) _changes.Add(c); },
            LogManager.CreateNullLogger());
        return (lease, fencer);
    }

    private Guid Vm(string name, PowerState power, bool ha)
    {
        var uuid = _hypervisor.Define(name, power);
        var vm = _hypervisor.Get(uuid)!;
        if (ha) _hypervisor.Set(vm with { Flags = vm.Flags | VmFlags.Ha });
        return uuid;
    }

    private static void Held(Lease lease) => lease.Renew("ctl-1", lease.Renew("ctl-1", 0, F).Token, F);

    [Fact]
    public async Task A_lapsed_lease_destroys_the_running_HA_VMs_only_and_says_fenced_once()
    {
        var (lease, fencer) = Make();
        var ha = Vm("web-01", PowerState.Running, ha: true);
        var plain = Vm("db-01", PowerState.Running, ha: false);
        var off = Vm("old-01", PowerState.Off, ha: true);
        Held(lease);

        await fencer.CheckAsync();
        Assert.Equal(PowerState.Running, _hypervisor.Get(ha)!.Power);

        _now += F;
        await fencer.CheckAsync();
        Assert.Equal(PowerState.Off, _hypervisor.Get(ha)!.Power);
        Assert.Equal(PowerState.Running, _hypervisor.Get(plain)!.Power);
        Assert.Equal(PowerState.Off, _hypervisor.Get(off)!.Power);
        Assert.True(lease.Fenced);
        Assert.Equal([true], _changes);
        Assert.Equal(1, fencer.Counters.Vms);
    }

    [Fact]
    public async Task Fence_pause_pauses_instead()
    {
        var (lease, fencer) = Make(pause: true);
        var ha = Vm("web-01", PowerState.Running, ha: true);
        Held(lease);
        _now += F;
        await fencer.CheckAsync();
        Assert.Equal(PowerState.Paused, _hypervisor.Get(ha)!.Power);
    }

    [Fact]
    public async Task A_lease_never_held_with_nothing_to_fence_reports_nothing()
    {
        var (lease, fencer) = Make();
        Vm("db-01", PowerState.Running, ha: false);
        await fencer.CheckAsync();
        Assert.False(lease.Fenced);
        Assert.Empty(_changes);
    }

    [Fact]
    public async Task A_hostd_that_starts_without_a_lease_fences_a_running_HA_VM_at_once()
    {
        var (lease, fencer) = Make();
        var ha = Vm("web-01", PowerState.Running, ha: true);
        await fencer.CheckAsync();
        Assert.Equal(PowerState.Off, _hypervisor.Get(ha)!.Power);
        Assert.True(lease.Fenced);
    }

    [Fact]
    public async Task An_unreachable_hypervisor_is_a_failed_round_and_nothing_is_marked()
    {
        var (lease, fencer) = Make();
        Vm("web-01", PowerState.Running, ha: true);
        Held(lease);
        _now += F;
        _hypervisor.SetReachable(false);
        await fencer.CheckAsync();
        Assert.Equal(1, fencer.Counters.Failures);
        Assert.False(lease.Fenced);
    }
}
