using System.Net;
using Vmm.Protocol;

namespace Vmm.Controller.Tests;

public sealed class PlacerTests
{
    private static HostView Host(string name, uint cpus, ulong freeMib, uint used = 0, HostState state = HostState.Up) =>
        new(name, 1, 1, state, HostFacts.None with { Cpus = cpus, MemoryFreeKib = freeMib * 1024 }, IPAddress.Loopback, 0, 0, 0, 0, used,
            new IPEndPoint(IPAddress.Loopback, 7401));

    [Fact]
    public void Picks_the_host_with_the_most_free_memory_among_those_with_room()
    {
        var placer = new Placer();
        var d = placer.Choose([Host("a", 8, 4096), Host("b", 8, 16384, used: 7), Host("c", 8, 8192)], 2, 2048 * 1024);
        Assert.Equal("c", d.Host); // b has more memory but only 1 free vCPU
    }

    [Fact]
    public void Says_clearly_when_no_host_fits()
    {
        var d = new Placer().Choose([Host("a", 4, 1024), Host("b", 8, 3000, used: 2)], 4, 4096 * 1024);
        Assert.False(d.Placed);
        Assert.Equal("no host has room for 4 vCPUs and 4 GiB: largest free is 2.9 GiB and 6 vCPUs on b", d.Message);
    }

    [Fact]
    public void Hosts_that_are_not_up_are_never_chosen()
    {
        var d = new Placer().Choose([Host("a", 64, 65536, state: HostState.Down), Host("b", 64, 65536, state: HostState.Unreachable)], 1, 1024);
        Assert.False(d.Placed);
        Assert.EndsWith("no host is up and reporting its free memory and CPUs", d.Message);
    }

    [Fact]
    public void A_fenced_host_is_not_chosen_for_an_HA_VM_but_is_for_others()
    {
        HostView[] hosts = [Host("a", 8, 65536) with { Status = HostStatus.Fenced }, Host("b", 8, 4096)];
        Assert.Equal("a", new Placer().Choose(hosts, 1, 1024).Host);
        Assert.Equal("b", new Placer().Choose(hosts, 1, 1024, ha: true).Host);
        var none = new Placer().Choose(hosts, 1, 8192 * 1024, ha: true);
        Assert.False(none.Placed);
        Assert.EndsWith("on b (a fenced)", none.Message);
    }

    [Fact]
    public void Overcommit_ratio_multiplies_CPUs()
    {
        var host = Host("a", 4, 8192, used: 4);
        Assert.False(new Placer().Choose([host], 2, 1024).Placed);
        Assert.Equal("a", new Placer(cpuOvercommit: 2).Choose([host], 2, 1024).Host);
    }

    [Fact]
    public void Used_vCPUs_come_from_VMs_that_hold_CPUs()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1, vcpus: 4), Vms.Vm(2, PowerState.Off, vcpus: 8), Vms.Vm(3, PowerState.Paused, vcpus: 2)]));
        Assert.Equal(6U, fleet.HostView("hv-01").UsedVcpus);
    }
}
