using System.Net;
using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>The event datagram an ACK carries (spec §7.2, state): applied as if it had come by UDP, once whichever copy
/// comes first, neither copy a drop, and only for the host that answered.</summary>
public sealed class CarriedStateTests
{
    private readonly Fleet _fleet = new();
    private readonly HostSim _hv;

    public CarriedStateTests()
    {
        _hv = _fleet.Host("hv-01");
        _fleet.Send(_hv, _hv.CompleteReport([Vms.Vm(1)]));
    }

    [Fact]
    public void A_carried_datagram_shows_the_change_when_its_udp_copy_is_lost()
    {
        var paused = _hv.Event(Vms.Vm(1, PowerState.Paused));
        Assert.Equal(DropReason.None, _fleet.Ingest.ProcessCarried("hv-01", paused));
        Assert.Equal(PowerState.Paused, _fleet.Vm(1)!.ReportedPower);
        Assert.Equal(1, _fleet.Inventory.Counters.Carried);
        Assert.Equal(IPAddress.Parse("192.0.2.10"), _fleet.HostView("hv-01").Address);   // where datagrams come from stays
    }

    [Fact]
    public void Its_udp_copy_before_or_after_it_is_applied_once_and_no_drop()
    {
        var paused = _hv.Event(Vms.Vm(1, PowerState.Paused));
        Assert.Equal(DropReason.None, _fleet.Send(_hv, paused));
        Assert.Equal(DropReason.None, _fleet.Ingest.ProcessCarried("hv-01", paused));   // UDP first, then the ACK

        var resumed = _hv.Event(Vms.Vm(1, PowerState.Running));
        Assert.Equal(DropReason.None, _fleet.Ingest.ProcessCarried("hv-01", resumed));
        Assert.Equal(DropReason.None, _fleet.Send(_hv, resumed));                       // the ACK first, then UDP

        Assert.Equal(PowerState.Running, _fleet.Vm(1)!.ReportedPower);
        Assert.Equal(0UL, _fleet.HostView("hv-01").Dropped);
        Assert.Equal(0, _fleet.Inventory.Counters.DroppedTotal);
        Assert.Equal(2, _fleet.Inventory.Counters.CarriedEchoes);
    }

    [Fact]
    public void A_carried_datagram_that_a_newer_one_overtook_updates_only_older_records_and_adds_none()
    {
        var paused = _hv.Event(Vms.Vm(1, PowerState.Paused), Vms.Vm(2));
        var newer = _hv.Event();   // a liveness datagram sent after it, here first (the event's UDP copy was lost)
        Assert.Equal(DropReason.None, _fleet.Send(_hv, newer));

        Assert.Equal(DropReason.None, _fleet.Ingest.ProcessCarried("hv-01", paused));
        Assert.Equal(PowerState.Paused, _fleet.Vm(1)!.ReportedPower);
        Assert.Null(_fleet.Vm(2));   // a later datagram may have removed it: not added from an overtaken one
        Assert.Equal(0, _fleet.Inventory.Counters.DroppedTotal);

        // A record newer than the carried datagram is kept.
        var stopped = _hv.Event(Vms.Vm(1, PowerState.Off));
        var running = _hv.Event(Vms.Vm(1, PowerState.Running));
        Assert.Equal(DropReason.None, _fleet.Send(_hv, running));
        Assert.Equal(DropReason.None, _fleet.Ingest.ProcessCarried("hv-01", stopped));
        Assert.Equal(PowerState.Running, _fleet.Vm(1)!.ReportedPower);
    }

    [Fact]
    public void State_of_another_host_in_an_ack_is_refused_and_charged_to_no_host()
    {
        var other = _fleet.Host("hv-02");
        _fleet.Send(other, other.CompleteReport([Vms.Vm(5)]));
        var forged = other.Event(Vms.Vm(5, PowerState.Paused));

        Assert.Equal(DropReason.WrongKey, _fleet.Ingest.ProcessCarried("hv-01", forged));
        Assert.Equal(PowerState.Running, _fleet.Vm(5)!.ReportedPower);
        Assert.Equal(0UL, _fleet.HostView("hv-01").Dropped);
        Assert.Equal(0UL, _fleet.HostView("hv-02").Dropped);
        Assert.Equal(1, _fleet.Inventory.Counters.Unattributed);
    }

    [Fact]
    public void Bytes_that_are_no_authentic_state_are_refused()
    {
        var bad = _hv.Event(Vms.Vm(1, PowerState.Paused));
        bad[^1] ^= 1;
        Assert.Equal(DropReason.BadTag, _fleet.Ingest.ProcessCarried("hv-01", bad));
        Assert.Equal(DropReason.Truncated, _fleet.Ingest.ProcessCarried("hv-01", [0x56]));
        Assert.Equal(PowerState.Running, _fleet.Vm(1)!.ReportedPower);
    }
}
