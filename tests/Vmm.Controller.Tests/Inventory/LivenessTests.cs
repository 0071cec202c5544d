using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>Spec §6.5, liveness datagrams (events without records, sent by hostd to make up a short report): they keep
/// a host up and nothing else, leave report collection alone, and a replayed one keeps nothing alive.</summary>
public sealed class LivenessTests
{
    [Fact]
    public void Liveness_datagrams_alone_keep_a_host_up_and_its_VMs_known_but_remove_nothing()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2)]));
        for (int i = 0; i < 3 * fleet.Inventory.Options.DownAfter; i++)
        {
            // Every report lost; one liveness datagram an interval gets through.
            fleet.Silence(1);
            Assert.Equal(DropReason.None, fleet.Send(hv, hv.Event()));
            Assert.Equal(HostState.Up, fleet.HostView("hv-01").State);
        }
        Assert.Equal([Vms.Uuid(1), Vms.Uuid(2)], fleet.VmIds());
        Assert.All(fleet.Inventory.Vms(), vm => Assert.False(vm.Unknown));
    }

    [Fact]
    public void A_liveness_datagram_amid_a_report_leaves_its_collection_alone()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2), Vms.Vm(3)]));
        var pages = hv.CompleteReport([Vms.Vm(1), Vms.Vm(2)], perPage: 1);
        var liveness = hv.Event();   // sent after the report's pages
        Assert.Equal(DropReason.None, fleet.Send(hv, pages[0]));
        Assert.Equal(DropReason.None, fleet.Send(hv, liveness));   // overtook page 1 on the way
        Assert.Equal(3, fleet.VmIds().Count);
        Assert.Equal(DropReason.None, fleet.Send(hv, pages[1]));
        Assert.Equal([Vms.Uuid(1), Vms.Uuid(2)], fleet.VmIds());    // the report completed: VM 3 removed
    }

    [Fact]
    public void A_replayed_liveness_datagram_keeps_no_host_alive()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        var liveness = hv.Event();
        Assert.Equal(DropReason.None, fleet.Send(hv, liveness));
        for (int i = 0; i < fleet.Inventory.Options.DownAfter; i++)
        {
            fleet.Silence(1);
            Assert.Equal(DropReason.Duplicate, fleet.Send(hv, liveness));
        }
        Assert.Equal(HostState.Down, fleet.HostView("hv-01").State);
        Assert.True(fleet.Vm(1)!.Unknown);
    }

    [Fact]
    public void An_unreachable_hosts_liveness_datagrams_keep_it_unreachable()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        fleet.Send(hv, hv.Unreachable());   // the heartbeat's
        for (int i = 0; i < 2 * fleet.Inventory.Options.DownAfter; i++)
        {
            fleet.Silence(1);
            fleet.Send(hv, hv.Unreachable());   // the liveness datagrams say what the heartbeat said
            Assert.Equal(HostState.Unreachable, fleet.HostView("hv-01").State);
        }
        Assert.Equal([Vms.Uuid(1)], fleet.VmIds());
    }

    [Fact]
    public void Applying_liveness_datagrams_allocates_nothing_after_warm_up()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2)]));
        var beats = Enumerable.Range(0, 2000).Select(_ => hv.Event()).ToArray();
        for (int i = 0; i < 200; i++) fleet.Ingest.Process(beats[i], hv.From);
        Allocations.NoneInSomeRound([200, 800, 1400], start =>
        {
            for (int i = start; i < start + 600; i++)
                if (fleet.Ingest.Process(beats[i], hv.From) != DropReason.None) throw new InvalidOperationException("liveness datagram dropped");
        });
        Assert.Equal((ulong)beats.Length + 1, fleet.HostView("hv-01").Accepted);
    }
}
