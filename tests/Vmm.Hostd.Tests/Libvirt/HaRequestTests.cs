// HA on libvirt's test driver (spec §15): the mark in the definition (add ha, set-ha), an add on a volume that is in
// the pool already (an HA restart), and fencing: only running HA VMs are destroyed or paused.
using Vmm.Hostd.Interop;
using Vmm.Hostd.Tests.Support;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Libvirt;

[Trait("Needs", "libvirt")]
public sealed class HaRequestTests
{
    private static readonly Guid Vm = Guid.Parse("a0000000-0000-4000-8000-0000000000a1");
    private static readonly Guid Other = Guid.Parse("a0000000-0000-4000-8000-0000000000a2");
    private const ulong MiB = 1UL << 20;

    private static AttrList Ha(ulong on) => new AttrList().Add(AttrType.Ha, on);

    [Fact]
    public void Add_with_ha_marks_the_VM_and_set_ha_changes_the_mark_keeping_the_owned_volumes()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.Add, Vm, Requests.Add("app").Add(AttrType.DiskSpec, Requests.DiskSpec(size: 64 * MiB)).Add(AttrType.Ha, 1));
        Assert.Equal(VmFlags.Ha, node.ReadVm(Vm).Flags & VmFlags.Ha);

        var again = node.Succeed(RequestCode.SetHa, Vm, Ha(1));
        Assert.Equal(AckFlags.Unchanged, again.Flags);
        node.Succeed(RequestCode.SetHa, Vm, Ha(0));
        Assert.Equal(VmFlags.None, node.ReadVm(Vm).Flags & VmFlags.Ha);
        node.Succeed(RequestCode.SetHa, Vm, Ha(1));
        var vm = node.ReadVm(Vm);
        Assert.Equal(VmFlags.Ha, vm.Flags & VmFlags.Ha);
        // The volume is still Vmm's: delete removes it.
        Assert.Equal(DiskFlags.Owned, vm.Attributes.Find(AttrType.Disk)!.Disk!.Flags);
        Assert.Equal(AckCode.Failure, node.Execute(RequestCode.SetHa, Vm, Ha(2)).Code);
        Assert.Equal(AckCode.Failure, node.Execute(RequestCode.SetHa, Vm, []).Code);
    }

    [Fact]
    public void An_add_on_an_existing_volume_uses_it_as_it_is_and_counts_it_as_Vmms()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.Add, Vm, Requests.Add("app").Add(AttrType.DiskSpec, Requests.DiskSpec(size: 64 * MiB)));
        node.Succeed(RequestCode.Remove, Vm);   // the VM goes, its volume stays: as on a host that died
        var restart = Requests.Add("app").Add(AttrType.Ha, 1)
            .Add(AttrType.DiskSpec, new AttrList().Add(AttrType.Target, "vda").Add(AttrType.Volume, "app-vda.qcow2"));
        node.Succeed(RequestCode.Add, Vm, restart);
        var vm = node.ReadVm(Vm);
        Assert.Equal(VmFlags.Ha, vm.Flags & VmFlags.Ha);
        Assert.Equal(new DiskInfo("vda", DiskBus.Virtio, DiskFlags.Owned, 64 * MiB), vm.Attributes.Find(AttrType.Disk)!.Disk);

        // A volume the pool does not have is not-found, and nothing is defined.
        var missing = Requests.Add("gone").Add(AttrType.DiskSpec, new AttrList().Add(AttrType.Volume, "gone-vda.qcow2"));
        var o = node.Execute(RequestCode.Add, Other, missing);
        Assert.Equal(AckCode.NotFound, o.Code);
        Assert.Contains("storage the hosts share", o.Results.Text(AttrType.Message));
        Assert.Null(node.Hypervisor.Read(Other));

        // A volume with size, or a path, is refused.
        Assert.Equal(AckCode.Failure, node.Execute(RequestCode.Add, Other,
            Requests.Add("x").Add(AttrType.DiskSpec, new AttrList().Add(AttrType.Size, MiB).Add(AttrType.Volume, "app-vda.qcow2"))).Code);
        Assert.Equal(AckCode.Failure, node.Execute(RequestCode.Add, Other,
            Requests.Add("x").Add(AttrType.DiskSpec, new AttrList().Add(AttrType.Volume, "../etc/passwd"))).Code);
    }

    [Fact]
    public void While_the_lease_is_not_running_an_HA_VM_neither_starts_nor_resumes_nor_reverts_and_others_do()
    {
        using var node = TestNode.Default();
        string? notRunning = null;
        node.Hypervisor.GateHaStarts(() => notRunning);
        node.Succeed(RequestCode.Add, Vm, Requests.Add("ha-1").Add(AttrType.Ha, 1));
        node.Succeed(RequestCode.Add, Other, Requests.Add("plain-1"));
        node.Succeed(RequestCode.Start, Vm);
        node.Succeed(RequestCode.Pause, Vm);
        node.Succeed(RequestCode.Snapshot, Vm, new AttrList().Add(AttrType.SnapshotOp, (ulong)SnapshotOp.Create).Add(AttrType.SnapshotName, "s1"));

        notRunning = "lapsed 1.2 s ago";
        var resume = node.Execute(RequestCode.Resume, Vm);
        Assert.Equal(AckCode.Unavailable, resume.Code);
        Assert.Equal("ha-1 is HA and this host's lease lapsed 1.2 s ago: it would be fenced at once, so nothing was done; "
            + "try again once a controller renews the lease (every second)", resume.Results.Text(AttrType.Message));
        Assert.Equal(PowerState.Paused, node.ReadVm(Vm).Power);
        var revert = new AttrList().Add(AttrType.SnapshotOp, (ulong)SnapshotOp.Revert).Add(AttrType.SnapshotName, "s1");
        Assert.Equal(AckCode.Unavailable, node.Execute(RequestCode.Snapshot, Vm, revert).Code);
        node.Succeed(RequestCode.Stop, Vm, new AttrList().Add(AttrType.TimeoutMs, 0));
        Assert.Equal(AckCode.Unavailable, node.Execute(RequestCode.Start, Vm).Code);
        Assert.Equal(PowerState.Off, node.ReadVm(Vm).Power);
        // What does not start it is not held back, nor is a VM that is not HA.
        node.Succeed(RequestCode.SetHa, Vm, Ha(1));
        node.Succeed(RequestCode.Start, Other);

        notRunning = null;
        node.Succeed(RequestCode.Start, Vm);
        Assert.Equal(PowerState.Running, node.ReadVm(Vm).Power);
    }

    [Fact]
    public void Fencing_destroys_or_pauses_the_running_HA_VMs_and_nothing_else()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.Add, Vm, Requests.Add("ha-1").Add(AttrType.Ha, 1));
        node.Succeed(RequestCode.Add, Other, Requests.Add("plain-1"));
        node.Succeed(RequestCode.Start, Vm);
        node.Succeed(RequestCode.Start, Other);

        var paused = node.Hypervisor.FenceHa(pause: true);
        Assert.Equal([$"ha-1 ({Vm})"], paused);
        Assert.Equal(PowerState.Paused, node.ReadVm(Vm).Power);
        Assert.Empty(node.Hypervisor.FenceHa(pause: true));   // paused already counts as fenced

        var destroyed = node.Hypervisor.FenceHa(pause: false);
        Assert.Single(destroyed);
        Assert.Equal(PowerState.Off, node.ReadVm(Vm).Power);
        Assert.Equal(PowerState.Running, node.ReadVm(Other).Power);
        Assert.Empty(node.Hypervisor.FenceHa(pause: false));
    }
}
