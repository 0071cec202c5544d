// add, remove and delete: the VM and its volumes in libvirt afterwards.
using Vmm.Hostd.Interop;
using Vmm.Hostd.Tests.Support;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Libvirt;

[Trait("Needs", "libvirt")]
public sealed class AddRemoveTests
{
    private static readonly Guid NewVm = Guid.Parse("a0000000-0000-4000-8000-000000000001");
    private const ulong GiB = 1UL << 30;

    private static bool VolumeExists(TestNode node, string path)
    {
        using var vol = LibvirtApi.LookupStorageVolume(node.Hypervisor.Connection!, path);
        return vol is not null;
    }

    [Fact]
    public void Add_defines_a_vm_with_owned_volumes_in_a_pool_it_creates()
    {
        using var node = TestNode.Default();
        var p = Requests.Add("app", vcpus: 2, memoryKib: 524288, maxVcpus: 4, maxMemoryKib: 1048576)
            .Add(AttrType.DiskSpec, Requests.DiskSpec(size: 2 * GiB))
            .Add(AttrType.DiskSpec, Requests.DiskSpec(size: GiB, target: "vdc"))
            .Add(AttrType.NicSpec, Requests.NicSpec("default", mac: 0x525400123456));
        var o = node.Succeed(RequestCode.Add, NewVm, p);
        Assert.Equal(NewVm, o.Vm);

        var vm = node.ReadVm(NewVm);
        Assert.Equal(("app", PowerState.Off, VmFlags.Persistent), (vm.Name, vm.Power, vm.Flags));
        Assert.Equal((2, 524288ul), (vm.Vcpus, vm.MemoryKib));
        Assert.Equal(4ul, vm.Attributes.Number(AttrType.MaxVcpus));
        Assert.Equal(1048576ul, vm.Attributes.Number(AttrType.MaxMemory));
        Assert.Equal(
            [new DiskInfo("vda", DiskBus.Virtio, DiskFlags.Owned, 2 * GiB), new DiskInfo("vdc", DiskBus.Virtio, DiskFlags.Owned, GiB)],
            vm.Attributes.All(AttrType.Disk).Select(a => a.Disk!));
        Assert.Equal(new NicInfo(0x525400123456, NicModel.Virtio, NicKind.Network, "default"), vm.Attributes.Find(AttrType.Nic)!.Nic);
        Assert.True(VolumeExists(node, Path.Combine(node.PoolPath, "app-vda.qcow2")));
        Assert.True(VolumeExists(node, Path.Combine(node.PoolPath, "app-vdc.qcow2")));

        node.Succeed(RequestCode.Start, NewVm);
        Assert.Equal(PowerState.Running, node.ReadVm(NewVm).Power);
    }

    [Fact]
    public void Add_of_an_overlay_on_a_base_image()
    {
        using var node = TestNode.WithImageDir();
        string baseImage = Path.Combine(node.ImageDir, "base.qcow2");
        File.WriteAllBytes(baseImage, [(byte)'Q', (byte)'F', (byte)'I', 0xfb, 0, 0, 0, 3]);
        var p = Requests.Add("ovl").Add(AttrType.DiskSpec, Requests.DiskSpec(size: 4 * GiB, baseImage: Path.GetFullPath(baseImage)));
        node.Succeed(RequestCode.Add, NewVm, p);
        var disk = node.ReadVm(NewVm).Attributes.Find(AttrType.Disk)!.Disk!;
        Assert.Equal(("vda", DiskFlags.Owned, 4 * GiB), (disk.Target, disk.Flags, disk.Capacity));
    }

    [Fact]
    public void Add_with_a_zero_uuid_lets_the_host_pick_one()
    {
        using var node = TestNode.Default();
        var o = node.Succeed(RequestCode.Add, Guid.Empty, Requests.Add("picked"));
        Assert.NotEqual(Guid.Empty, o.Vm);
        Assert.Equal("picked", node.ReadVm(o.Vm).Name);
    }

    [Fact]
    public void Add_without_a_name_names_the_parameter()
    {
        using var node = TestNode.Default();
        var o = node.Execute(RequestCode.Add, NewVm, new AttrList().Add(AttrType.Vcpus, 1));
        Assert.Equal(AckCode.Failure, o.Code);
        Assert.StartsWith("name is required", o.Results.Text(AttrType.Message));
        Assert.Single(node.Hypervisor.ReadAll());
    }

    [Fact]
    public void Add_of_a_name_or_uuid_that_exists_fails_and_creates_no_volume()
    {
        using var node = TestNode.Default();
        var byName = node.Execute(RequestCode.Add, NewVm, Requests.Add("test").Add(AttrType.DiskSpec, Requests.DiskSpec(size: GiB)));
        Assert.Equal(AckCode.Failure, byName.Code);
        Assert.Contains("a VM named test already exists", byName.Results.Text(AttrType.Message));
        var byUuid = node.Execute(RequestCode.Add, TestNode.DefaultDomain, Requests.Add("other"));
        Assert.Equal(AckCode.Failure, byUuid.Code);
        Assert.Contains($"a VM with uuid {TestNode.DefaultDomain} already exists", byUuid.Results.Text(AttrType.Message));
        Assert.False(VolumeExists(node, Path.Combine(node.PoolPath, "test-vda.qcow2")));
    }

    [Fact]
    public void A_refused_define_deletes_the_volumes_it_created()
    {
        using var node = TestNode.Default();
        // Valid for the protocol, too large for libvirt's domain parser: the define fails after the volume exists.
        var p = Requests.Add("huge", memoryKib: ulong.MaxValue / 1024).Add(AttrType.DiskSpec, Requests.DiskSpec(size: GiB));
        var o = node.Execute(RequestCode.Add, NewVm, p);
        Assert.Equal(AckCode.Failure, o.Code);
        Assert.False(VolumeExists(node, Path.Combine(node.PoolPath, "huge-vda.qcow2")));
        Assert.Null(node.Hypervisor.Read(NewVm));
    }

    [Fact]
    public void Remove_forgets_the_vm_and_keeps_its_disks()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.Add, NewVm, Requests.Add("keep").Add(AttrType.DiskSpec, Requests.DiskSpec(size: GiB)));
        node.Succeed(RequestCode.Start, NewVm);
        node.Succeed(RequestCode.Snapshot, NewVm, new AttrList().Add(AttrType.SnapshotName, "s1"));
        node.Succeed(RequestCode.Remove, NewVm, flags: RequestFlags.Force);
        Assert.Null(node.Hypervisor.Read(NewVm));
        Assert.True(VolumeExists(node, Path.Combine(node.PoolPath, "keep-vda.qcow2")));
    }

    [Fact]
    public void Delete_removes_the_vm_and_only_the_volumes_vmm_created()
    {
        using var node = TestNode.FromFixture();
        node.Succeed(RequestCode.Delete, TestNode.Web, flags: RequestFlags.Force);
        Assert.Null(node.Hypervisor.Read(TestNode.Web));
        Assert.False(VolumeExists(node, Path.Combine(node.PoolPath, "web-vda.qcow2")));

        node.Succeed(RequestCode.Delete, TestNode.Db, flags: RequestFlags.Force);   // a VM defined outside Vmm: nothing of its is owned
        Assert.Null(node.Hypervisor.Read(TestNode.Db));
        Assert.Single(node.Hypervisor.ReadAll());
    }
}
