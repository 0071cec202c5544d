// hostd's STATE datagrams as a controller receives them (spec §6.5): reports, events, tombstones, paging.
using System.Net;
using System.Net.Sockets;
using Vmm.Hostd.Internal;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

public sealed class StatePublisherTests
{
    [Fact]
    public async Task A_report_carries_every_vm_the_facts_the_port_and_the_vm_count()
    {
        await using var f = new DaemonFixture();
        var a = f.Hypervisor.Define("a", PowerState.Running);
        var b = f.Hypervisor.Define("b");
        var report = f.ReceiveStateUntil(s => s.Pages == 1 && s.Vms.Count == 2);
        Assert.Equal(f.Boot, report.BootId);
        Assert.Equal("host-a", report.Host);
        Assert.Contains(report.Facts, x => x.Type == AttrType.Port && x.Number == (ulong)f.Daemon.RequestEndPoint.Port);
        Assert.Contains(report.Facts, x => x.Type == AttrType.VmCount && x.Number == 2);
        Assert.Contains(report.Facts, x => x.Type == AttrType.Cpus && x.Number == 8);
        Assert.Equal(new[] { a, b }.Order(), report.Vms.Select(v => v.Uuid).Order());
    }

    [Fact]
    public async Task Sequences_increase_and_reports_are_numbered()
    {
        await using var f = new DaemonFixture();
        f.Hypervisor.Define("a");
        var s1 = f.ReceiveStateUntil(s => s.Pages > 0);
        var s2 = f.ReceiveStateUntil(s => s.Pages > 0);
        Assert.True(s2.Sequence > s1.Sequence);
        Assert.True(s2.Report > s1.Report);
    }

    [Fact]
    public async Task A_libvirt_event_sends_an_event_datagram_with_the_new_record()
    {
        await using var f = new DaemonFixture(heartbeat: TimeSpan.FromSeconds(30));
        var a = f.Hypervisor.Define("a");
        f.ReceiveStateUntil(s => s.Vms.Any(v => v.Uuid == a));
        f.Hypervisor.Set(f.Hypervisor.Get(a)! with { Power = PowerState.Paused });
        var ev = f.ReceiveStateUntil(s => s.Pages == 0 && s.Vms.Count > 0);
        Assert.Equal((a, PowerState.Paused), (ev.Vms[0].Uuid, ev.Vms[0].Power));
    }

    [Fact]
    public async Task A_burst_of_events_is_coalesced_into_few_datagrams()
    {
        await using var f = new DaemonFixture(heartbeat: TimeSpan.FromSeconds(30));
        var uuids = Enumerable.Range(0, 20).Select(i => f.Hypervisor.Define("b" + i)).ToArray();
        var known = new HashSet<Guid>();   // every VM published once (by the first report or its define event)
        f.ReceiveStateUntil(s => { known.UnionWith(s.Vms.Select(v => v.Uuid)); return uuids.All(known.Contains); });
        foreach (var u in uuids) f.Hypervisor.Set(f.Hypervisor.Get(u)! with { Power = PowerState.Running });
        var seen = new HashSet<Guid>();
        int datagrams = 0;
        while (seen.Count < uuids.Length)
        {
            var ev = f.ReceiveStateUntil(s => s.Pages == 0 && s.Vms.Any(v => v.Power == PowerState.Running));
            datagrams++;
            foreach (var v in ev.Vms.Where(v => v.Power == PowerState.Running)) seen.Add(v.Uuid);
        }
        Assert.True(datagrams < uuids.Length, $"20 changes in one burst went out in {datagrams} datagrams");
    }

    [Fact]
    public async Task A_request_that_libvirt_sends_no_event_for_is_published_with_its_last_request()
    {
        await using var f = new DaemonFixture(heartbeat: TimeSpan.FromSeconds(30));
        var a = f.Hypervisor.Define("a");
        f.ReceiveStateUntil(s => s.Vms.Any(v => v.Uuid == a));
        using var c = f.Connect();
        var req = new RequestPdu { RequestId = 0x500000001, BootId = f.Boot, Code = RequestCode.UpdateMemory, Vm = a, Parameters = new AttrList().Add(AttrType.Memory, 131072) };
        Assert.Equal(AckCode.Success, c.Call(req).Code);
        var ev = f.ReceiveStateUntil(s => s.Pages == 0 && s.Vms.Any(v => v.Uuid == a));
        var vm = ev.Vms.Single(v => v.Uuid == a);
        Assert.Equal(131072UL, vm.MemoryKib);
        Assert.Contains(vm.Attributes, x => x.Type == AttrType.LastRequest && x.Number == req.RequestId);
    }

    [Fact]
    public async Task A_vm_that_disappears_is_sent_as_a_tombstone()
    {
        await using var f = new DaemonFixture(heartbeat: TimeSpan.FromSeconds(30));
        var a = f.Hypervisor.Define("gone");
        f.ReceiveStateUntil(s => s.Vms.Any(v => v.Uuid == a));
        f.Hypervisor.Undefine(a);
        var ev = f.ReceiveStateUntil(s => s.Pages == 0 && s.Vms.Count > 0);
        Assert.Equal((a, VmFlags.Tombstone, "gone"), (ev.Vms[0].Uuid, ev.Vms[0].Flags, ev.Vms[0].Name));
    }

    [Fact]
    public async Task An_unreachable_hypervisor_is_reported_without_records_and_stopping_is_said_last()
    {
        var f = new DaemonFixture();
        f.Hypervisor.Define("a");
        f.ReceiveStateUntil(s => s.Pages > 0);
        f.Hypervisor.SetReachable(false);
        var u = f.ReceiveStateUntil(s => s.Status.HasFlag(HostStatus.Unreachable));
        Assert.Empty(u.Vms);
        Assert.Equal(0, u.Pages);
        await f.StopAsync();
        var last = f.ReceiveStateUntil(s => s.Status.HasFlag(HostStatus.Stopping));
        Assert.Equal(f.Boot, last.BootId);
        await f.DisposeAsync();
    }

    [Fact]
    public async Task Many_vms_are_paged_into_datagrams_that_each_fit_and_together_hold_all()
    {
        await using var f = new DaemonFixture();
        var disks = new AttrList();
        for (int i = 0; i < 4; i++) disks.Add(new DiskInfo("vd" + (char)('a' + i), DiskBus.Virtio, DiskFlags.Owned, 10UL << 30));
        var uuids = Enumerable.Range(0, 120).Select(i => f.Hypervisor.Define($"vm-{i:000}", PowerState.Running, disks)).ToHashSet();
        var first = f.ReceiveStateUntil(s => s.Pages > 1 && s.Page == 0 && s.Facts.Any(x => x.Type == AttrType.VmCount && x.Number == 120));
        var seen = new HashSet<Guid>(first.Vms.Select(v => v.Uuid));
        for (int p = 1; p < first.Pages; p++)
        {
            var page = f.ReceiveState();
            Assert.Equal((first.Report, (ushort)p, first.Sequence + (ulong)p), (page.Report, page.Page, page.Sequence));
            foreach (var v in page.Vms) seen.Add(v.Uuid);
        }
        Assert.Equal(uuids.Order(), seen.Order());
    }

    [Fact]
    public void Memory_free_is_the_hosts_memory_less_what_its_running_and_paused_vms_hold()
    {
        var facts = new AttrList().Add(AttrType.MemoryTotal, 1000).Add(AttrType.MemoryFree, 3);
        VmState Vm(PowerState p, ulong kib) => new() { Uuid = Guid.NewGuid(), Power = p, MemoryKib = kib };
        var free = StatePublisher.WithMemoryFree(facts, [Vm(PowerState.Running, 300), Vm(PowerState.Paused, 200), Vm(PowerState.Off, 400)]);
        Assert.Equal(500UL, free.Single(a => a.Type == AttrType.MemoryFree).Number);
        var over = StatePublisher.WithMemoryFree(facts, [Vm(PowerState.Running, 1500)]);
        Assert.Equal(0UL, over.Single(a => a.Type == AttrType.MemoryFree).Number);
    }

    [Fact]
    public void A_record_too_large_for_a_datagram_is_truncated_from_its_last_devices()
    {
        var attrs = new AttrList();
        for (int i = 0; i < 40; i++) attrs.Add(new DiskInfo($"vd{i:00}", DiskBus.Virtio, DiskFlags.None, 1UL << 30));
        var vm = new VmState { Uuid = Guid.NewGuid(), Name = "big", Power = PowerState.Running, Attributes = attrs };
        var cut = StateSender.Truncate(vm, 600);
        Assert.True(cut.EncodedSize <= 600);
        Assert.True(cut.Flags.HasFlag(VmFlags.Truncated));
        Assert.Equal(attrs.Take(cut.Attributes.Count), cut.Attributes);
    }

    [Fact]
    public async Task A_new_controllers_list_gets_the_next_reports_over_ipv4_and_ipv6_alike()
    {
        await using var f = new DaemonFixture();
        f.Hypervisor.Define("a");
        f.ReceiveStateUntil(s => s.Pages > 0);
        using var v4 = Bound(IPAddress.Loopback);
        using var v6 = Bound(IPAddress.IPv6Loopback);
        IPEndPoint[] next = [(IPEndPoint)v4.LocalEndPoint!, (IPEndPoint)v6.LocalEndPoint!];

        f.Daemon.Publisher.SetControllers(next);   // a reload

        Assert.Equal(next, f.Daemon.Publisher.Controllers);
        foreach (var controller in new[] { v4, v6 })
        {
            var report = ReceiveReport(controller);
            Assert.Equal((f.Boot, "a"), (report.BootId, report.Vms.Single().Name));
        }
    }

    private static Socket Bound(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 20000 };
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    private static StatePdu ReceiveReport(Socket socket)
    {
        var buffer = new byte[PduHeader.MaxDatagram];
        while (true)
        {
            int n = socket.Receive(buffer);   // times out (and fails the test) after 20 s
            var state = (StatePdu)PduCodec.Decode(buffer.AsSpan(0, n), DaemonFixture.Key, PduHeader.MaxDatagram);
            if (state.Pages > 0) return state;
        }
    }
}
