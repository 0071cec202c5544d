// The lease through a running hostd (spec §15.2, §15.3): renewals over TCP, and the fenced status in its datagrams.
using Vmm.Hostd.Tests.Daemon;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Ha;

public sealed class LeaseDaemonTests
{
    private static RequestPdu Lease(ulong id, ulong boot, ulong token, string controller = "ctl-1")
    {
        var p = new AttrList().Add(AttrType.Controller, controller).Add(AttrType.FenceAfterMs, 5000);
        if (token != 0) p.Add(AttrType.LeaseToken, token);
        return new RequestPdu { RequestId = id, BootId = boot, Code = RequestCode.Lease, Parameters = p };
    }

    [Fact]
    public async Task A_renewal_is_granted_with_a_token_never_cached_and_another_controller_is_refused()
    {
        await using var d = new DaemonFixture();
        using var client = d.Connect();
        var first = client.Call(Lease(0x1_0000_0001, d.Boot, 0));
        Assert.Equal(AckCode.Success, first.Code);
        ulong token = first.Results.Number(AttrType.LeaseToken)!.Value;
        var second = client.Call(Lease(0x1_0000_0002, d.Boot, token));
        Assert.Equal(AckCode.Success, second.Code);
        Assert.Equal("ctl-1", second.Results.Text(AttrType.Controller));
        // The same id again is answered anew, not from the cache: a renewal is not an operation on a VM.
        var again = client.Call(Lease(0x1_0000_0002, d.Boot, token));
        Assert.Equal(AckFlags.None, again.Flags & AckFlags.Replayed);

        var other = client.Call(Lease(0x2_0000_0001, d.Boot, 0, "ctl-2"));
        Assert.Equal(AckCode.Failure, other.Code);
        Assert.Equal("ctl-1", other.Results.Text(AttrType.Controller));
    }

    [Fact]
    public async Task A_grant_says_how_long_the_lease_has_left_and_the_first_says_nothing_was_extended()
    {
        await using var d = new DaemonFixture();
        using var client = d.Connect();
        var first = client.Call(Lease(0x1_0000_0001, d.Boot, 0));
        Assert.Equal(0UL, first.Results.Number(AttrType.FenceAfterMs));
        var second = client.Call(Lease(0x1_0000_0002, d.Boot, first.Results.Number(AttrType.LeaseToken)!.Value));
        Assert.InRange(second.Results.Number(AttrType.FenceAfterMs)!.Value, 4000UL, 5000UL);
        // A token of another lease (another epoch) is granted but extends nothing: the deadline already set stands.
        var stale = client.Call(Lease(0x1_0000_0003, d.Boot, 0xBEEF_0000_0000_0001));
        Assert.Equal(AckCode.Success, stale.Code);
        Assert.InRange(stale.Results.Number(AttrType.FenceAfterMs)!.Value, 4000UL, 5000UL);   // the deadline stands
    }

    [Fact]
    public async Task An_HA_VM_does_not_start_before_the_lease_runs_and_the_same_request_starts_it_once_it_does()
    {
        var hypervisor = new FakeHypervisor();
        var uuid = hypervisor.Define("db-01");
        hypervisor.Set(hypervisor.Get(uuid)! with { Flags = VmFlags.Persistent | VmFlags.Ha });
        var plain = hypervisor.Define("web-01");
        await using var d = new DaemonFixture(hypervisor: hypervisor);
        using var client = d.Connect();
        var start = new RequestPdu { RequestId = 0x3_0000_0001, BootId = d.Boot, Code = RequestCode.Start, Vm = uuid };
        var refused = client.Call(start);
        Assert.Equal(AckCode.Unavailable, refused.Code);
        Assert.Contains("has not been renewed since hostd started", refused.Results.Text(AttrType.Message));
        Assert.Equal(PowerState.Off, hypervisor.Get(uuid)!.Power);
        // A VM that is not HA is not held back.
        Assert.Equal(AckCode.Success, client.Call(start with { RequestId = 0x3_0000_0002, Vm = plain }).Code);

        // A first renewal extends nothing: still refused, and not from the cache.
        var t = client.Call(Lease(0x1_0000_0001, d.Boot, 0)).Results.Number(AttrType.LeaseToken)!.Value;
        var still = client.Call(start);
        Assert.Equal(AckCode.Unavailable, still.Code);
        Assert.Equal(AckFlags.None, still.Flags & AckFlags.Replayed);
        Assert.Contains("not extended yet", still.Results.Text(AttrType.Message));

        Assert.Equal(AckCode.Success, client.Call(Lease(0x1_0000_0002, d.Boot, t)).Code);
        var started = client.Call(start);
        Assert.Equal(AckCode.Success, started.Code);
        Assert.Equal(AckFlags.None, started.Flags & AckFlags.Replayed);
        Assert.Equal(PowerState.Running, hypervisor.Get(uuid)!.Power);
        // Done once: the same id again is answered from the cache.
        Assert.Equal(AckFlags.Replayed, client.Call(start).Flags & AckFlags.Replayed);
    }

    [Fact]
    public async Task A_renewal_for_another_boot_is_refused()
    {
        await using var d = new DaemonFixture();
        using var client = d.Connect();
        var ack = client.Call(Lease(0x1_0000_0001, d.Boot ^ 1, 0));
        Assert.Equal(AckCode.Failure, ack.Code);
        Assert.Null(ack.Results.Number(AttrType.LeaseToken));
    }

    [Fact]
    public async Task A_hostd_without_a_lease_fences_its_running_HA_VM_and_says_so_in_its_datagrams()
    {
        var hypervisor = new FakeHypervisor();
        var uuid = hypervisor.Define("web-01", PowerState.Running);
        hypervisor.Set(hypervisor.Get(uuid)! with { Flags = VmFlags.Persistent | VmFlags.Ha });
        await using var d = new DaemonFixture(hypervisor: hypervisor);
        var fenced = d.ReceiveStateUntil(s => (s.Status & HostStatus.Fenced) != 0 && s.Vms.Any(v => v.Uuid == uuid && v.Power == PowerState.Off));
        Assert.Equal(VmFlags.Ha, fenced.Vms.Single(v => v.Uuid == uuid).Flags & VmFlags.Ha);

        // A granted extension clears the status; the VM stays off.
        using var client = d.Connect();
        var t = client.Call(Lease(0x1_0000_0001, d.Boot, 0)).Results.Number(AttrType.LeaseToken)!.Value;
        Assert.Equal(AckCode.Success, client.Call(Lease(0x1_0000_0002, d.Boot, t)).Code);
        d.ReceiveStateUntil(s => (s.Status & HostStatus.Fenced) == 0);
        Assert.Equal(PowerState.Off, hypervisor.Get(uuid)!.Power);
    }
}
