using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

/// <summary>Spec §6.5: when a report is complete, and what it removes; tombstones; truncated records.</summary>
public sealed class ReportTests
{
    [Fact]
    public void Complete_report_removes_VMs_it_omits()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2), Vms.Vm(3)]));
        Assert.Equal(3, fleet.VmIds().Count);
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(3)]));
        Assert.Equal([Vms.Uuid(1), Vms.Uuid(3)], fleet.VmIds());
    }

    [Fact]
    public void Every_page_is_applied_on_its_own_but_nothing_is_removed_before_the_last_page()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2), Vms.Vm(3), Vms.Vm(4)], perPage: 2));
        var pages = hv.CompleteReport([Vms.Vm(1, PowerState.Paused), Vms.Vm(5)], perPage: 1);
        Assert.Equal(DropReason.None, fleet.Send(hv, pages[0]));
        Assert.Equal(PowerState.Paused, fleet.Vm(1)!.ReportedPower); // page 0 applied at once
        Assert.Equal(4, fleet.VmIds().Count);                         // nothing removed yet
        Assert.Equal(DropReason.None, fleet.Send(hv, pages[1]));
        Assert.Equal([Vms.Uuid(1), Vms.Uuid(5)], fleet.VmIds());
    }

    [Fact]
    public void A_page_overtaken_by_a_later_page_of_its_report_still_completes_it()
    {
        // spec §6.5: before, the overtaken page was stale (§6.6 rule 1) and the report never completed.
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2), Vms.Vm(3)]));
        var pages = hv.CompleteReport([Vms.Vm(1, PowerState.Paused), Vms.Vm(2)], perPage: 1);
        Assert.Equal(DropReason.None, fleet.Send(hv, pages[1]));   // page 1 first: reordered on the way
        Assert.Equal(3, fleet.VmIds().Count);
        Assert.Equal(DropReason.None, fleet.Send(hv, pages[0]));   // page 0, older sequence: counts all the same
        Assert.Equal([Vms.Uuid(1), Vms.Uuid(2)], fleet.VmIds());   // complete: VM 3 removed
        Assert.Equal(PowerState.Paused, fleet.Vm(1)!.ReportedPower);
        Assert.Equal(DropReason.Stale, fleet.Send(hv, pages[0]));  // once seen, a page again is stale
    }

    [Fact]
    public void An_overtaken_page_never_undoes_a_newer_record_nor_brings_back_a_removed_VM()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2), Vms.Vm(3)]));
        var pages = hv.CompleteReport([Vms.Vm(1), Vms.Vm(3), Vms.Vm(2)], perPage: 1);
        Assert.Equal(DropReason.None, fleet.Send(hv, pages[2]));
        // Events sent after the report: VM 1 paused, VM 3 gone.
        Assert.Equal(DropReason.None, fleet.Send(hv, hv.Event(Vms.Vm(1, PowerState.Paused))));
        Assert.Equal(DropReason.None, fleet.Send(hv, hv.Build(0, 0, 0, HostStatus.None, null,
            [new VmState { Uuid = Vms.Uuid(3), Name = "vm3", Flags = VmFlags.Tombstone }])));
        Assert.Equal(DropReason.None, fleet.Send(hv, pages[0]));
        Assert.Equal(DropReason.None, fleet.Send(hv, pages[1]));
        Assert.Equal(PowerState.Paused, fleet.Vm(1)!.ReportedPower);
        Assert.Equal([Vms.Uuid(1), Vms.Uuid(2)], fleet.VmIds());
    }

    [Fact]
    public void A_lost_page_means_nothing_is_removed_until_a_later_report_arrives_whole()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2), Vms.Vm(3)]));
        var lossy = hv.CompleteReport([Vms.Vm(1), Vms.Vm(2)], perPage: 1);
        fleet.Send(hv, lossy[0]); // page 1 (VM 2) is lost
        Assert.Equal(3, fleet.VmIds().Count);

        var next = hv.CompleteReport([Vms.Vm(1), Vms.Vm(2)], perPage: 1);
        fleet.Send(hv, next[0]);
        Assert.Equal(3, fleet.VmIds().Count);
        fleet.Send(hv, next[1]);
        Assert.Equal([Vms.Uuid(1), Vms.Uuid(2)], fleet.VmIds());
    }

    [Fact]
    public void A_page_of_an_older_report_arriving_after_a_newer_one_began_completes_nothing()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2), Vms.Vm(3)]));
        var older = hv.CompleteReport([Vms.Vm(1), Vms.Vm(2)], perPage: 1);
        var newer = hv.CompleteReport([Vms.Vm(1), Vms.Vm(2)], perPage: 1);
        fleet.Send(hv, older[0]);
        fleet.Send(hv, newer[0]);
        // Older's page 1 comes after newer's page 0: its sequence is older than the newest accepted,
        // so it cannot complete report "older" (VM 3 stays).
        Assert.NotEqual(DropReason.None, fleet.Send(hv, older[1]));
        Assert.Equal(3, fleet.VmIds().Count);
        fleet.Send(hv, newer[1]);
        Assert.Equal([Vms.Uuid(1), Vms.Uuid(2)], fleet.VmIds());
    }

    [Fact]
    public void An_event_newer_than_the_report_keeps_its_VM()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        uint report = hv.ReportNumber + 1;
        fleet.Send(hv, hv.Build(report, 0, 2, HostStatus.None, null, [Vms.Vm(1)]));
        // VM 7 is defined while the report is paged: its event is newer than the report's first page.
        fleet.Send(hv, hv.Event(Vms.Vm(7)));
        fleet.Send(hv, hv.Build(report, 1, 2, HostStatus.None, null, [Vms.Vm(2)]));
        Assert.Equal([Vms.Uuid(1), Vms.Uuid(2), Vms.Uuid(7)], fleet.VmIds());
        // The next complete report that omits it removes it.
        fleet.Send(hv, hv.Build(report + 1, 0, 1, HostStatus.None, null, [Vms.Vm(1), Vms.Vm(2)]));
        Assert.Equal([Vms.Uuid(1), Vms.Uuid(2)], fleet.VmIds());
    }

    [Fact]
    public void An_event_older_than_the_report_does_not_keep_its_VM()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.Event(Vms.Vm(7)));
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1)]));
        Assert.Equal([Vms.Uuid(1)], fleet.VmIds());
    }

    [Fact]
    public void A_tombstone_removes_at_once()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2)]));
        fleet.Send(hv, hv.Event(Vms.Tombstone(1)));
        Assert.Equal([Vms.Uuid(2)], fleet.VmIds());
    }

    [Fact]
    public void An_empty_host_sends_a_one_page_report_that_removes_everything()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.CompleteReport([Vms.Vm(1), Vms.Vm(2)]));
        fleet.Send(hv, hv.CompleteReport([]));
        Assert.Empty(fleet.VmIds());
        Assert.Equal(HostState.Up, fleet.HostView("hv-01").State);
    }

    [Fact]
    public void A_record_overrides_the_one_held_whole()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.Event(Vms.Vm(1, vcpus: 2, memoryKib: 1 << 20)));
        var bare = Vms.Vm(1, vcpus: 4, memoryKib: 2 << 20) with { Attributes = [] };
        fleet.Send(hv, hv.Event(bare));
        var vm = fleet.Vm(1)!.ToState();
        Assert.Equal(4, vm.Vcpus);
        Assert.Equal(2UL << 20, vm.MemoryKib);
        Assert.Empty(vm.Attributes); // the disk is gone: absent means none, not "unchanged"
    }

    [Fact]
    public void A_truncated_record_is_shown_as_truncated()
    {
        var fleet = new Fleet();
        var hv = fleet.Host("hv-01");
        fleet.Send(hv, hv.Event(Vms.Vm(1) with { Flags = VmFlags.Persistent | VmFlags.Truncated }));
        Assert.True(fleet.Vm(1)!.ToState().Flags.HasFlag(VmFlags.Truncated));
    }

    [Fact]
    public void The_same_VM_on_two_hosts_is_held_per_host()
    {
        var fleet = new Fleet();
        var a = fleet.Host("hv-a");
        var b = fleet.Host("hv-b");
        fleet.Send(a, a.CompleteReport([Vms.Vm(1)]));
        fleet.Send(b, b.CompleteReport([Vms.Vm(1)])); // a migration in progress
        fleet.Send(a, a.Event(Vms.Tombstone(1)));     // it left hv-a
        Assert.Equal("hv-b", fleet.Vm(1)!.Host);
    }
}
