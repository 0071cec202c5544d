// HA restart (spec §15.4) against a real inventory fed with datagrams and a dispatcher that answers as told: the wait
// for the lease, the guards (down share, lease holder), the bounded retries, a partition that heals in time.
using NLog;
using Vmm.Controller.Ha;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests.Ha;

public sealed class HaRestarterTests
{
    private readonly Fleet _fleet = new();
    private readonly FakeDispatcher _dispatcher = new();
    private readonly LeaseBook _book = new();
    private readonly List<HostSim> _hosts = [];
    private readonly HashSet<string> _silent = [];
    // What each host reports at every step (hv-a: the HA VM, unless a test says otherwise).
    private readonly Dictionary<string, VmState[]> _reports = [];
    private static readonly VmState Ha = Vms.Vm(1) with { Flags = VmFlags.Persistent | VmFlags.Ha };

    private HaRestarter Start(int hosts = 3, int maxAttempts = 3, VmState? vm = null)
    {
        _fleet.PastWarmUp();
        for (int i = 0; i < hosts; i++)
        {
            var h = _fleet.Host($"hv-{(char)('a' + i)}");
            _hosts.Add(h);
            _reports[h.Name] = i == 0 ? [vm ?? Ha] : [];
            _fleet.Send(h, h.CompleteReport(_reports[h.Name]));
        }
        _book.Granted("hv-a", 42, _fleet.Clock.Ms, "ctl-1");
        return new HaRestarter(_fleet.Inventory, _dispatcher, _book, new Placer(),
            new HaOptions { ControllerId = "ctl-1", FenceAfter = TimeSpan.FromSeconds(5), Margin = TimeSpan.FromSeconds(1), MaxAttempts = maxAttempts },
            LogManager.CreateNullLogger(), _fleet.Clock.Func);
    }

    // Moves time on in steps of 500 ms; every host not silenced reports at each step.
    private void Advance(int ms)
    {
        for (int done = 0; done < ms; done += 500)
        {
            _fleet.Clock.Advance(TimeSpan.FromMilliseconds(Math.Min(500, ms - done)));
            for (int i = 0; i < _hosts.Count; i++)
                if (!_silent.Contains(_hosts[i].Name)) _fleet.Send(_hosts[i], _hosts[i].CompleteReport(_reports[_hosts[i].Name]));
        }
    }

    private async Task TickAsync(HaRestarter restarter)
    {
        restarter.Tick(CancellationToken.None);
        await Eventually.True(() => restarter.InFlight == 0, "the restarts in flight to end");
    }

    private List<FakeDispatcher.Call> Calls(RequestCode code)
    {
        lock (_dispatcher.Calls) return [.. _dispatcher.Calls.Where(c => c.Code == code)];
    }

    [Fact]
    public async Task An_HA_VM_of_a_down_host_is_restarted_elsewhere_only_once_fence_after_and_the_margin_have_passed()
    {
        var restarter = Start();
        _silent.Add("hv-a");
        Advance(3000);
        Assert.Equal(HostState.Down, _fleet.HostView("hv-a").State);
        await TickAsync(restarter);
        Advance(2999);
        await TickAsync(restarter);
        Assert.Empty(_dispatcher.Calls);

        Advance(1);
        await TickAsync(restarter);
        var add = Assert.Single(Calls(RequestCode.Add));
        Assert.NotEqual("hv-a", add.Host.Name);
        Assert.Equal(Vms.Uuid(1), add.Vm);
        Assert.Equal(1UL, add.Parameters.Number(AttrType.Ha));
        Assert.Equal("vm-1", add.Parameters.Text(AttrType.Name));
        var disk = Assert.Single(add.Parameters.All(AttrType.DiskSpec)).Nested!;
        Assert.Equal("vm-1-vda.qcow2", disk.Text(AttrType.Volume));
        var start = Assert.Single(Calls(RequestCode.Start));
        Assert.Equal(add.Host.Name, start.Host.Name);
        Assert.Equal(1, restarter.Counters.Restarted);

        // Done once: later ticks do not restart it again.
        await TickAsync(restarter);
        Assert.Single(Calls(RequestCode.Add));
    }

    [Fact]
    public async Task The_history_says_why_the_VM_moved_and_has_the_restarts_requests_as_the_controllers_own()
    {
        var restarter = Start();
        _silent.Add("hv-a");
        Advance(6000);
        _fleet.Inventory.Sweep();   // the controller's sweep announces hv-a down (its timer, here by hand)
        await TickAsync(restarter);
        Assert.Equal(1, restarter.Counters.Restarted);

        var events = _fleet.Inventory.Events.Find(new Vmm.Controller.Events.EventFilter(Ref: "vm-1"));
        var requests = events.Where(e => e.Kind == EventKind.Request).ToList();
        Assert.Equal([(byte)RequestCode.Add, (byte)RequestCode.Start], requests.Select(r => r.Value));
        Assert.All(requests, r => Assert.False(r.FromAdmin));
        Assert.All(requests, r => Assert.Equal(AckCode.Success, r.Ack));
        var decisions = events.Where(e => e.Kind == EventKind.Decision).Select(e => e.Text!).ToList();
        Assert.Contains(decisions, d => d.StartsWith("HA: restarting vm-1 on ", StringComparison.Ordinal));
        Assert.Contains(decisions, d => d.StartsWith("HA: vm-1 runs on ", StringComparison.Ordinal));
        // The host's fall is there too, with the controller's decision about it.
        Assert.Contains(_fleet.Inventory.Events.Find(new Vmm.Controller.Events.EventFilter(Host: "hv-a")),
            e => e.Kind == EventKind.Host && e.Value == (byte)HostState.Down);
    }

    // hv-a goes silent, its HA VM is restarted elsewhere and runs there; then hv-a is back, reporting `copy`.
    private async Task<HaRestarter> RestartedThenBackAsync(VmState copy)
    {
        var restarter = Start();
        _silent.Add("hv-a");
        Advance(7000);
        await TickAsync(restarter);
        string to = Assert.Single(Calls(RequestCode.Add)).Host.Name;
        _reports[to] = [Ha];
        _reports["hv-a"] = [copy];
        _silent.Remove("hv-a");
        Advance(1000);
        await TickAsync(restarter);
        return restarter;
    }

    [Fact]
    public async Task When_the_host_comes_back_its_fenced_copy_is_removed_with_its_disks_kept()
    {
        var restarter = await RestartedThenBackAsync(Ha with { Power = PowerState.Off, Reason = 2 });
        var remove = Assert.Single(Calls(RequestCode.Remove));
        Assert.Equal(("hv-a", Vms.Uuid(1), RequestFlags.Force), (remove.Host.Name, remove.Vm, remove.Flags));
        Assert.Empty(Calls(RequestCode.Delete));
        Assert.Equal(1, restarter.Counters.StaleRemoved);
    }

    [Fact]
    public async Task A_copy_the_host_did_not_fence_is_reported_and_left_alone()
    {
        var restarter = await RestartedThenBackAsync(Ha);   // back, and still reporting it running
        await TickAsync(restarter);
        Assert.Empty(Calls(RequestCode.Remove));
        Assert.Single(Calls(RequestCode.Add));
    }

    [Fact]
    public async Task Nothing_is_restarted_while_more_than_the_set_share_of_hosts_is_down()
    {
        var restarter = Start();
        _silent.Add("hv-a");
        _silent.Add("hv-b");
        Advance(10_000);
        await TickAsync(restarter);
        Assert.Empty(_dispatcher.Calls);
        Assert.True(restarter.Counters.Paused > 0);
    }

    [Fact]
    public async Task A_controller_that_does_not_hold_the_lease_restarts_nothing()
    {
        var restarter = Start();
        _book.Refused("hv-a", "ctl-2");
        _silent.Add("hv-a");
        Advance(10_000);
        await TickAsync(restarter);
        Assert.Empty(_dispatcher.Calls);
    }

    [Fact]
    public async Task A_partition_that_heals_before_the_lease_lapses_leaves_the_VM_where_it_was()
    {
        var restarter = Start();
        _silent.Add("hv-a");
        Advance(4000);
        await TickAsync(restarter);
        _silent.Remove("hv-a");
        Advance(10_000);
        await TickAsync(restarter);
        Assert.Equal(HostState.Up, _fleet.HostView("hv-a").State);
        Assert.Empty(_dispatcher.Calls);
    }

    [Fact]
    public async Task A_VM_that_fails_to_start_is_tried_on_at_most_ha_max_attempts_hosts_then_reported()
    {
        var restarter = Start(hosts: 5, maxAttempts: 2);
        _dispatcher.Answer = c => c.Code == RequestCode.Start
            ? new DispatchResult(AckCode.Failure, 1, c.Vm, new AttrList().AddMessage("Failed to get \"write\" lock"))
            : new DispatchResult(AckCode.Success, 1, c.Vm, []);
        _silent.Add("hv-a");
        Advance(7000);
        await TickAsync(restarter);
        var adds = Calls(RequestCode.Add);
        Assert.Equal(2, adds.Count);
        Assert.Equal(2, adds.Select(a => a.Host.Name).Distinct().Count());
        Assert.DoesNotContain(adds, a => a.Host.Name == "hv-a");
        // What each failed start defined is removed again (force), on the host it was defined on.
        Assert.Equal(adds.Select(a => a.Host.Name), Calls(RequestCode.Remove).Select(r => r.Host.Name));
        Assert.All(Calls(RequestCode.Remove), r => Assert.Equal(RequestFlags.Force, r.Flags));
        Assert.Equal(1, restarter.Counters.GaveUp);

        await TickAsync(restarter);
        Assert.Equal(2, Calls(RequestCode.Add).Count);
    }

    [Fact]
    public async Task A_VM_with_a_disk_Vmm_did_not_make_is_reported_not_restarted()
    {
        var vm = Ha with { Attributes = new AttrList().Add(new DiskInfo("vda", DiskBus.Virtio, DiskFlags.None, 1 << 30)) };
        var restarter = Start(vm: vm);
        _silent.Add("hv-a");
        Advance(7000);
        await TickAsync(restarter);
        Assert.Empty(_dispatcher.Calls);
        Assert.Equal(1, restarter.Counters.GaveUp);
    }

    [Fact]
    public void The_down_share_guard_counts_strictly_more_than_the_share()
    {
        Assert.False(HaRules.TooManyDown(1, 2, 50));
        Assert.True(HaRules.TooManyDown(2, 3, 50));
        Assert.False(HaRules.TooManyDown(0, 0, 50));
        Assert.True(HaRules.TooManyDown(1, 10, 0));
        Assert.False(HaRules.TooManyDown(10, 10, 100));
    }

    [Fact]
    public void The_add_of_a_restart_carries_the_VM_as_its_record_says_and_refuses_what_no_other_host_can_give()
    {
        var record = Ha with
        {
            Attributes = new AttrList().Add(new DiskInfo("vdb", DiskBus.Scsi, DiskFlags.Owned, 1 << 30))
                .Add(new NicInfo(0x525400123456, NicModel.E1000, NicKind.Bridge, "br0")).Add(AttrType.MaxMemory, 4 << 20),
        };
        var p = HaRules.AddParameters(record, out var why)!;
        Assert.Null(why);
        Assert.Equal(4UL << 20, p.Number(AttrType.MaxMemory));
        var disk = p.Find(AttrType.DiskSpec)!.Nested!;
        Assert.Equal("vdb", disk.Text(AttrType.Target));
        Assert.Equal((ulong)DiskBus.Scsi, disk.Number(AttrType.Bus));
        Assert.Equal("vm-1-vdb.qcow2", disk.Text(AttrType.Volume));
        var nic = p.Find(AttrType.NicSpec)!.Nested!;
        Assert.Equal("br0", nic.Text(AttrType.Bridge));
        Assert.Equal(0x525400123456UL, nic.Number(AttrType.Mac));

        Assert.Null(HaRules.AddParameters(record with { Flags = record.Flags | VmFlags.Truncated }, out why));
        Assert.Contains("truncated", why);
        Assert.Null(HaRules.AddParameters(record with { Attributes = new AttrList().Add(new NicInfo(0x525400123456, NicModel.Virtio, NicKind.User, "")) }, out why));
        Assert.Contains("user", why);
    }
}
