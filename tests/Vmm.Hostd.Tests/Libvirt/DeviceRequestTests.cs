// add-nic, remove-nic and update-disk. The test driver cannot attach or detach devices, nor resize them:
// those answer unsupported, with nothing left behind; the checks before libvirt is asked are real failures.
using Vmm.Hostd.Interop;
using Vmm.Hostd.Tests.Support;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Libvirt;

[Trait("Needs", "libvirt")]
public sealed class DeviceRequestTests
{
    private static AttrList DiskOp(DiskOp op) => Requests.Params((AttrType.DiskOp, (ulong)op));

    [Fact]
    public void Add_nic_is_unsupported_by_the_test_driver()
    {
        using var node = TestNode.Default();
        var o = node.Execute(RequestCode.AddNic, TestNode.DefaultDomain, new AttrList().Add(AttrType.NicSpec, Requests.NicSpec("default")));
        Assert.Equal(AckCode.Unsupported, o.Code);
        Assert.Equal(3ul, o.Results.Number(AttrType.ErrorCode));
        Assert.Single(node.ReadVm(TestNode.DefaultDomain).Attributes.All(AttrType.Nic));   // only the one it had
    }

    [Fact]
    public void Add_nic_without_or_with_a_bad_nic_spec_names_it()
    {
        using var node = TestNode.Default();
        Assert.StartsWith("nic-spec is required", node.Execute(RequestCode.AddNic, TestNode.DefaultDomain).Results.Text(AttrType.Message));
        var both = new AttrList().Add(AttrType.NicSpec, Requests.NicSpec("default").Add(AttrType.Bridge, "br0"));
        var o = node.Execute(RequestCode.AddNic, TestNode.DefaultDomain, both);
        Assert.Equal(AckCode.Failure, o.Code);
        Assert.Equal("nic-spec: give exactly one of network or bridge", o.Results.Text(AttrType.Message));
    }

    [Fact]
    public void Remove_nic_is_unsupported_by_the_test_driver_and_an_unknown_mac_is_a_failure()
    {
        using var node = TestNode.FromFixture();
        var o = node.Execute(RequestCode.RemoveNic, TestNode.Web, Requests.Params((AttrType.Mac, 0x525400aabb01)));
        Assert.Equal(AckCode.Unsupported, o.Code);
        Assert.Single(node.ReadVm(TestNode.Web).Attributes.All(AttrType.Nic));

        var unknown = node.Execute(RequestCode.RemoveNic, TestNode.Web, Requests.Params((AttrType.Mac, 0x525400aabb99)));
        Assert.Equal(AckCode.Failure, unknown.Code);
        Assert.Equal("mac 52:54:00:aa:bb:99: the VM has no NIC with this address", unknown.Results.Text(AttrType.Message));
        Assert.StartsWith("mac is required", node.Execute(RequestCode.RemoveNic, TestNode.Web).Results.Text(AttrType.Message));
    }

    [Fact]
    public void Attach_disk_is_unsupported_and_its_new_volume_is_deleted_again()
    {
        using var node = TestNode.FromFixture();
        var p = DiskOp(Protocol.DiskOp.Attach).Add(AttrType.DiskSpec, Requests.DiskSpec(size: 1 << 30));
        var o = node.Execute(RequestCode.UpdateDisk, TestNode.Web, p);
        Assert.Equal(AckCode.Unsupported, o.Code);
        using var vol = LibvirtApi.LookupStorageVolume(node.Hypervisor.Connection!, Path.Combine(node.PoolPath, "web-vdb.qcow2"));
        Assert.Null(vol);
        Assert.Equal(2, node.ReadVm(TestNode.Web).Attributes.All(AttrType.Disk).Count());
    }

    [Fact]
    public void Attach_disk_on_a_target_in_use_names_it()
    {
        using var node = TestNode.FromFixture();
        var p = DiskOp(Protocol.DiskOp.Attach).Add(AttrType.DiskSpec, Requests.DiskSpec(size: 1 << 30, target: "vda"));
        var o = node.Execute(RequestCode.UpdateDisk, TestNode.Web, p);
        Assert.Equal(AckCode.Failure, o.Code);
        Assert.Equal("disk-spec: target vda is already a disk of this VM", o.Results.Text(AttrType.Message));
    }

    [Fact]
    public void Detach_disk_is_unsupported_by_the_test_driver_and_an_unknown_target_is_a_failure()
    {
        using var node = TestNode.FromFixture();
        var o = node.Execute(RequestCode.UpdateDisk, TestNode.Web, DiskOp(Protocol.DiskOp.Detach).Add(AttrType.Target, "vda"));
        Assert.Equal(AckCode.Unsupported, o.Code);
        var unknown = node.Execute(RequestCode.UpdateDisk, TestNode.Web, DiskOp(Protocol.DiskOp.Detach).Add(AttrType.Target, "vdq"));
        Assert.Equal("target vdq: the VM has no disk with this name", unknown.Results.Text(AttrType.Message));
        Assert.StartsWith("target is required", node.Execute(RequestCode.UpdateDisk, TestNode.Web, DiskOp(Protocol.DiskOp.Detach)).Results.Text(AttrType.Message));
    }

    [Fact]
    public void Resize_grows_only_and_the_test_driver_cannot_resize()
    {
        using var node = TestNode.FromFixture();   // web's vda: 10 GiB, VM off: the volume is resized
        var grow = node.Execute(RequestCode.UpdateDisk, TestNode.Web, DiskOp(Protocol.DiskOp.Resize).Add(AttrType.Target, "vda").Add(AttrType.Size, 20UL << 30));
        Assert.Equal(AckCode.Unsupported, grow.Code);
        Assert.Contains("virStorageVolResize", grow.Results.Text(AttrType.Message));

        var shrink = node.Execute(RequestCode.UpdateDisk, TestNode.Web, DiskOp(Protocol.DiskOp.Resize).Add(AttrType.Target, "vda").Add(AttrType.Size, 5UL << 30));
        Assert.Equal(AckCode.Failure, shrink.Code);
        Assert.Equal("size 5 GiB is not above the current capacity 10 GiB of vda: disks only grow", shrink.Results.Text(AttrType.Message));
        Assert.StartsWith("size is required", node.Execute(RequestCode.UpdateDisk, TestNode.Web, DiskOp(Protocol.DiskOp.Resize).Add(AttrType.Target, "vda")).Results.Text(AttrType.Message));
    }

    [Fact]
    public void Update_disk_without_or_with_an_unknown_disk_op_names_it()
    {
        using var node = TestNode.FromFixture();
        Assert.StartsWith("disk-op is required", node.Execute(RequestCode.UpdateDisk, TestNode.Web).Results.Text(AttrType.Message));
        Assert.Equal("disk-op 7 is not one of attach (0), detach (1), resize (2)",
            node.Execute(RequestCode.UpdateDisk, TestNode.Web, Requests.Params((AttrType.DiskOp, 7))).Results.Text(AttrType.Message));
    }
}
