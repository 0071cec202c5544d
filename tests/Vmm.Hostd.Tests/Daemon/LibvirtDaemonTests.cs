// The whole of hostd on libvirt's test driver: requests over TCP change libvirt, and the change comes
// back as STATE datagrams, as a controller sees it.
using Vmm.Hostd.Libvirt;
using Vmm.Hostd.Tests.Support;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

[Trait("Needs", "libvirt")]
public sealed class LibvirtDaemonTests : IDisposable
{
    private readonly List<string> _folders = [];
    private static ulong _id = 0x7700000000;

    private static RequestPdu Req(DaemonFixture f, RequestCode code, Guid vm, AttrList? p = null) =>
        new() { RequestId = Interlocked.Increment(ref _id), BootId = f.Boot, Code = code, Vm = vm, Parameters = p ?? [] };

    // A private copy of Support/single.xml, run by the daemon itself; its folder goes when the test ends.
    private LibvirtHypervisor PrivateNode()
    {
        var options = TestNode.PrivateOptions();
        _folders.Add(Path.GetDirectoryName(options.PoolPath)!);
        return new(options, NLog.LogManager.GetLogger("test"));
    }

    public void Dispose()
    {
        foreach (var folder in _folders) Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task Add_start_pause_and_delete_over_tcp_show_in_state_datagrams()
    {
        var hypervisor = PrivateNode();
        await using var f = new DaemonFixture(heartbeat: TimeSpan.FromMilliseconds(300), hypervisor: hypervisor);
        var report = f.ReceiveStateUntil(s => s.Pages > 0);
        Assert.Contains(report.Vms, v => v.Uuid == TestNode.DefaultDomain && v.Power == PowerState.Running);
        Assert.Contains(report.Facts, x => x.Type == AttrType.Hypervisor && x.Text!.StartsWith("TEST", StringComparison.Ordinal));

        using var c = f.Connect();
        var add = c.Call(Req(f, RequestCode.Add, Guid.Empty, new AttrList().Add(AttrType.Name, "web1").Add(AttrType.Vcpus, 2).Add(AttrType.Memory, 262144)));
        Assert.Equal(AckCode.Success, add.Code);
        var vm = add.Vm;
        var added = f.ReceiveStateUntil(s => s.Vms.Any(v => v.Uuid == vm)).Vms.Single(v => v.Uuid == vm);
        Assert.Equal(("web1", (ushort)2, 262144UL, PowerState.Off), (added.Name, added.Vcpus, added.MemoryKib, added.Power));

        Assert.Equal(AckCode.Success, c.Call(Req(f, RequestCode.Start, vm)).Code);
        f.ReceiveStateUntil(s => s.Vms.Any(v => v.Uuid == vm && v.Power == PowerState.Running));
        Assert.Equal(AckCode.Success, c.Call(Req(f, RequestCode.Pause, vm)).Code);
        f.ReceiveStateUntil(s => s.Vms.Any(v => v.Uuid == vm && v.Power == PowerState.Paused));

        // A paused VM is not deleted without force (it would be powered off); with force it is.
        var refused = c.Call(Req(f, RequestCode.Delete, vm));
        Assert.Equal(AckCode.Failure, refused.Code);
        Assert.Equal("web1 is paused: delete needs force (vmmctl vm delete --force), which powers it off first", refused.Results.Text(AttrType.Message));
        Assert.Equal(AckCode.Success, c.Call(Req(f, RequestCode.Delete, vm) with { Flags = RequestFlags.Force }).Code);
        f.ReceiveStateUntil(s => s.Pages == 0 && s.Vms.Any(v => v.Uuid == vm && v.Flags.HasFlag(VmFlags.Tombstone)));
        var after = f.ReceiveStateUntil(s => s.Pages > 0 && s.Page == 0);
        Assert.DoesNotContain(after.Vms, v => v.Uuid == vm);
    }

    [Fact]
    public async Task A_pause_with_a_critical_attribute_foreign_to_it_is_unsupported_and_the_vm_keeps_running()
    {
        var hypervisor = PrivateNode();
        await using var f = new DaemonFixture(heartbeat: TimeSpan.FromMilliseconds(300), hypervisor: hypervisor);
        f.ReceiveStateUntil(s => s.Pages > 0 && s.Vms.Any(v => v.Uuid == TestNode.DefaultDomain && v.Power == PowerState.Running));
        using var c = f.Connect();
        // request code=pause uuid=U !dest-uri=x (spec §5.4)
        var p = new AttrList().Add(new Attr { Type = AttrType.DestUri, Critical = true, Text = "x" });
        var ack = c.Call(Req(f, RequestCode.Pause, TestNode.DefaultDomain, p));
        Assert.Equal(AckCode.Unsupported, ack.Code);
        Assert.Contains("dest-uri", ack.Results.Text(AttrType.Message));
        // Two complete reports later the VM still runs: the refusal did nothing.
        var first = f.ReceiveStateUntil(s => s.Pages > 0 && s.Page == 0);
        var later = f.ReceiveStateUntil(s => s.Pages > 0 && s.Page == 0 && s.Sequence > first.Sequence);
        Assert.Contains(later.Vms, v => v.Uuid == TestNode.DefaultDomain && v.Power == PowerState.Running);
        // The same attribute without the critical bit is ignored, and the pause is carried out.
        var plain = new AttrList().Add(AttrType.DestUri, "x");
        Assert.Equal(AckCode.Success, c.Call(Req(f, RequestCode.Pause, TestNode.DefaultDomain, plain)).Code);
        f.ReceiveStateUntil(s => s.Vms.Any(v => v.Uuid == TestNode.DefaultDomain && v.Power == PowerState.Paused));
    }

    [Fact]
    public async Task A_start_that_changed_nothing_is_flagged_unchanged_and_its_resend_replayed_and_unchanged()
    {
        var hypervisor = PrivateNode();
        await using var f = new DaemonFixture(hypervisor: hypervisor);
        f.ReceiveStateUntil(s => s.Pages > 0 && s.Vms.Any(v => v.Uuid == TestNode.DefaultDomain && v.Power == PowerState.Running));
        using var c = f.Connect();
        var start = Req(f, RequestCode.Start, TestNode.DefaultDomain);
        var first = c.Call(start);
        Assert.Equal((AckCode.Success, AckFlags.Unchanged), (first.Code, first.Flags));
        Assert.Equal("test is already running", first.Results.Text(AttrType.Message));
        var again = c.Call(start);
        Assert.Equal((AckCode.Success, AckFlags.Unchanged | AckFlags.Replayed), (again.Code, again.Flags));
    }

    [Fact]
    public async Task A_hypervisor_refusal_comes_back_as_unsupported_with_libvirts_code()
    {
        var hypervisor = PrivateNode();
        await using var f = new DaemonFixture(hypervisor: hypervisor);
        f.ReceiveStateUntil(s => s.Pages > 0);
        using var c = f.Connect();
        var ack = c.Call(Req(f, RequestCode.Migrate, TestNode.DefaultDomain, new AttrList().Add(AttrType.DestUri, "test+tcp://127.0.0.1:1/default")));
        Assert.Equal(AckCode.Unsupported, ack.Code);
        Assert.Contains(ack.Results, r => r.Type == AttrType.ErrorCode);
    }

    [Fact]
    public async Task An_unreachable_hypervisor_is_reported_and_requests_fail_saying_so()
    {
        var hypervisor = new LibvirtHypervisor(new LibvirtOptions("test+unix:///default?socket=/nonexistent/vmm/sock", "vmm", "/nonexistent", null), NLog.LogManager.GetLogger("test"));
        await using var f = new DaemonFixture(heartbeat: TimeSpan.FromMilliseconds(200), hypervisor: hypervisor);
        var s = f.ReceiveStateUntil(x => x.Status.HasFlag(HostStatus.Unreachable));
        Assert.Empty(s.Vms);
        using var c = f.Connect();
        var ack = c.Call(Req(f, RequestCode.Start, TestNode.DefaultDomain));
        Assert.Equal(AckCode.Failure, ack.Code);
        Assert.Contains("unreachable", ack.Results.First(r => r.Type == AttrType.Message).Text);
    }
}
