using System.Diagnostics;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

/// <summary>
/// Read-your-writes on the admin socket: a successful request's RESULT goes out once the inventory shows what
/// it did, so that the operator's next command (vm start right after vm create) sees it.
/// </summary>
public sealed class SettlementTests
{
    private const ulong RequestId = 0x0000_0007_0000_0042;
    private static readonly TimeSpan ReportDelay = TimeSpan.FromMilliseconds(300);

    private static (AdminHarness Harness, HostSim Host) WithHost()
    {
        var h = new AdminHarness(new InventoryOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(500) });
        h.Fleet.PastWarmUp();   // an add's name check waits for a whole inventory
        var b = h.Fleet.Host("hv-b");
        b.Facts = new AttrList().Add(AttrType.Cpus, 4).Add(AttrType.MemoryFree, 4UL << 20).Add(AttrType.Port, 7402);
        h.Fleet.Send(b, b.CompleteReport([Vms.Vm(3, name: "web-2")]));
        return (h, b);
    }

    /// <summary>The host answers at once and reports the VM a little later, as an event datagram would.</summary>
    private static void ReportLater(AdminHarness h, HostSim host, VmState vm) =>
        _ = Task.Run(async () =>
        {
            await Task.Delay(ReportDelay);
            h.Fleet.Send(host, host.Event(vm));
        });

    private static VmState Done(VmState vm, ulong requestId) =>
        vm with { Attributes = vm.Attributes.Copy().Add(AttrType.LastRequest, requestId) };

    [Fact]
    public async Task A_successful_request_is_answered_once_the_inventory_shows_its_effect()
    {
        var (h, b) = WithHost();
        await using var _ = h;
        h.Dispatcher.Answer = call =>
        {
            ReportLater(h, b, Done(Vms.Vm(3, PowerState.Paused, name: "web-2"), RequestId));
            return new DispatchResult(AckCode.Success, RequestId, call.Vm, []);
        };
        using var c = h.Connect();
        var result = await c.SubmitAsync(RequestCode.Pause, new AttrList().Add(AttrType.Ref, "web-2"));

        Assert.Equal(AckCode.Success, result.Code);
        var vm = h.Fleet.Vm(3)!;
        Assert.Equal((PowerState.Paused, RequestId), (vm.ReportedPower, vm.LastRequestId));
    }

    [Fact]
    public async Task An_added_VM_can_be_named_as_soon_as_the_add_is_answered()
    {
        var (h, b) = WithHost();
        await using var _ = h;
        h.Dispatcher.Answer = call =>
        {
            ReportLater(h, b, Done(Vms.Vm(9, PowerState.Off, name: "web-9"), RequestId));
            return new DispatchResult(AckCode.Success, RequestId, Vms.Uuid(9), []);
        };
        using var c = h.Connect();
        var result = await c.SubmitAsync(RequestCode.Add, new AttrList().Add(AttrType.Name, "web-9").Add(AttrType.Host, "hv-b"));

        Assert.Equal((AckCode.Success, Vms.Uuid(9)), (result.Code, result.Vm));
        Assert.True(h.Fleet.Inventory.TryResolve("web-9", out var at));
        Assert.Equal("hv-b", at.Host);
    }

    [Fact]
    public async Task A_deleted_VM_is_gone_from_the_inventory_when_the_delete_is_answered()
    {
        var (h, b) = WithHost();
        await using var _ = h;
        h.Dispatcher.Answer = call =>
        {
            ReportLater(h, b, Vms.Tombstone(3, "web-2"));
            return new DispatchResult(AckCode.Success, RequestId, call.Vm, []);
        };
        using var c = h.Connect();
        var result = await c.SubmitAsync(RequestCode.Delete, new AttrList().Add(AttrType.Ref, "web-2"));

        Assert.Equal(AckCode.Success, result.Code);
        Assert.Null(h.Fleet.Vm(3));
    }

    [Fact]
    public async Task Without_a_report_the_success_still_goes_out_after_two_heartbeats()
    {
        var (h, _) = WithHost();
        await using var __ = h;
        h.Dispatcher.Answer = call => new DispatchResult(AckCode.Success, RequestId, call.Vm, []);
        using var c = h.Connect();
        var clock = Stopwatch.StartNew();
        var result = await c.SubmitAsync(RequestCode.Resume, new AttrList().Add(AttrType.Ref, "web-2"));

        Assert.Equal(AckCode.Success, result.Code);
        // It waited for the report it never got (a lower bound only: this machine may be slow, never fast).
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"answered after {clock.ElapsedMilliseconds} ms");
        Assert.Contains(h.Log, l => l.Contains("did not show it within two heartbeats"));
    }

    [Fact]
    public async Task A_migrated_VM_is_on_its_destination_when_the_migrate_is_answered()
    {
        var (h, b) = WithHost();
        await using var _ = h;
        var c2 = h.Fleet.Host("hv-c");
        c2.Address = System.Net.IPAddress.Parse("192.0.2.12");
        c2.Facts = b.Facts.Copy().Add(AttrType.MigrationUri, "qemu+tls://hv-c.example/system");
        h.Fleet.Send(c2, c2.CompleteReport([]));
        h.Dispatcher.Answer = call =>
        {
            ReportLater(h, c2, Done(Vms.Vm(3, name: "web-2"), RequestId));
            return new DispatchResult(AckCode.Success, RequestId, call.Vm, []);
        };
        using var c = h.Connect();
        var result = await c.SubmitAsync(RequestCode.Migrate, new AttrList().Add(AttrType.Ref, "web-2").Add(AttrType.DestHost, "hv-c"));

        Assert.Equal(AckCode.Success, result.Code);
        Assert.Contains("hv-c", h.Fleet.Inventory.Vms().Where(v => v.Uuid == Vms.Uuid(3)).Select(v => v.Host));
        Assert.DoesNotContain(h.Log, l => l.Contains("did not show it"));
    }

    [Fact]
    public async Task A_later_request_of_the_same_controller_also_shows_the_effect()
    {
        const ulong Later = RequestId + 1; // another operator's next request on the VM, through this controller
        var (h, b) = WithHost();
        await using var _ = h;
        h.Dispatcher.Answer = call =>
        {
            ReportLater(h, b, Done(Vms.Vm(3, PowerState.Paused, name: "web-2"), Later));
            return new DispatchResult(AckCode.Success, RequestId, call.Vm, []);
        };
        using var c = h.Connect();
        var result = await c.SubmitAsync(RequestCode.Pause, new AttrList().Add(AttrType.Ref, "web-2"));

        Assert.Equal(AckCode.Success, result.Code);
        Assert.Equal(Later, h.Fleet.Vm(3)!.LastRequestId);
        Assert.DoesNotContain(h.Log, l => l.Contains("did not show it"));
    }

    [Fact]
    public async Task A_request_of_another_controller_does_not_show_this_ones_effect()
    {
        // Same counter and beyond, other origin (spec §7.1): it says nothing about this controller's request.
        const ulong Other = 0x0000_0008_0000_0043;
        var (h, b) = WithHost();
        await using var _ = h;
        h.Dispatcher.Answer = call =>
        {
            ReportLater(h, b, Done(Vms.Vm(3, PowerState.Paused, name: "web-2"), Other));
            return new DispatchResult(AckCode.Success, RequestId, call.Vm, []);
        };
        using var c = h.Connect();
        var result = await c.SubmitAsync(RequestCode.Pause, new AttrList().Add(AttrType.Ref, "web-2"));

        Assert.Equal(AckCode.Success, result.Code);
        Assert.Contains(h.Log, l => l.Contains("did not show it within two heartbeats"));
    }

    [Fact]
    public async Task A_failure_is_answered_at_once()
    {
        var (h, _) = WithHost();
        await using var __ = h;
        h.Dispatcher.Answer = call => new DispatchResult(AckCode.Failure, RequestId, call.Vm, new AttrList().Add(AttrType.Message, "no"));
        using var c = h.Connect();
        var result = await c.SubmitAsync(RequestCode.Resume, new AttrList().Add(AttrType.Ref, "web-2"));

        Assert.Equal(AckCode.Failure, result.Code);
        Assert.DoesNotContain(h.Log, l => l.Contains("did not show it"));
    }
}
