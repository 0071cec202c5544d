// Whatever a request names that the host does not have (a VM, a snapshot, a base image, a network) is answered
// not-found (spec §8.2), with a message naming it, and nothing is created: no VM, no volume.
using System.Buffers.Binary;
using Vmm.Hostd.Interop;
using Vmm.Hostd.Tests.Support;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Libvirt;

[Trait("Needs", "libvirt")]
public sealed class NotFoundTests
{
    private static readonly Guid NewVm = Guid.Parse("a0000000-0000-4000-8000-0000000000f1");
    private const ulong GiB = 1UL << 30;

    private static void NothingCreated(TestNode node, string name)
    {
        Assert.Null(node.Hypervisor.Read(NewVm));
        using var vol = LibvirtApi.LookupStorageVolume(node.Hypervisor.Connection!, Path.Combine(node.PoolPath, $"{name}-vda.qcow2"));
        Assert.Null(vol);
    }

    [Fact]
    public void A_missing_snapshot_is_not_found_naming_it_and_the_vm()
    {
        using var node = TestNode.Default();
        foreach (var op in new[] { SnapshotOp.Revert, SnapshotOp.Delete })
        {
            var o = node.Execute(RequestCode.Snapshot, TestNode.DefaultDomain,
                new AttrList().Add(AttrType.SnapshotOp, (ulong)op).Add(AttrType.SnapshotName, "nope"));
            Assert.Equal(AckCode.NotFound, o.Code);
            Assert.Equal("snapshot-name: VM test has no snapshot named nope", o.Results.Text(AttrType.Message));
            Assert.Equal((ulong)ErrorNumber.NoDomainSnapshot, o.Results.Number(AttrType.ErrorCode));
        }
    }

    [Fact]
    public void A_missing_base_image_is_not_found_and_creates_nothing()
    {
        using var node = TestNode.WithImageDir();
        string missing = Path.Combine(node.ImageDir, "gone.qcow2");
        var o = node.Execute(RequestCode.Add, NewVm, Requests.Add("img").Add(AttrType.DiskSpec, Requests.DiskSpec(baseImage: missing)));
        Assert.Equal(AckCode.NotFound, o.Code);
        Assert.Equal($"disk-spec: base-image {missing} not found on this host", o.Results.Text(AttrType.Message));
        NothingCreated(node, "img");

        var attach = node.Execute(RequestCode.UpdateDisk, TestNode.DefaultDomain, new AttrList()
            .Add(AttrType.DiskOp, (ulong)DiskOp.Attach).Add(AttrType.DiskSpec, Requests.DiskSpec(baseImage: "/nonexistent/dir/base.qcow2")));
        Assert.Equal(AckCode.NotFound, attach.Code);
        Assert.Single(node.ReadVm(TestNode.DefaultDomain).Attributes.All(AttrType.Disk));
    }

    [Fact]
    public void An_overlay_without_a_size_takes_the_base_images()
    {
        using var node = TestNode.WithImageDir();
        // A qcow2 header: magic, version 3, no backing file, cluster bits 16, size 3 GiB (big-endian at offset 24).
        var header = new byte[104];
        header[0] = (byte)'Q'; header[1] = (byte)'F'; header[2] = (byte)'I'; header[3] = 0xfb;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(20), 16);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(24), 3 * GiB);
        string qcow2 = Path.Combine(node.ImageDir, "golden.qcow2");
        File.WriteAllBytes(qcow2, header);
        string raw = Path.Combine(node.ImageDir, "golden.raw");
        File.WriteAllBytes(raw, new byte[1 << 20]);

        var p = Requests.Add("img").Add(AttrType.DiskSpec, Requests.DiskSpec(baseImage: qcow2)).Add(AttrType.DiskSpec, Requests.DiskSpec(baseImage: raw));
        node.Succeed(RequestCode.Add, NewVm, p);
        Assert.Equal([3 * GiB, 1UL << 20], node.ReadVm(NewVm).Attributes.All(AttrType.Disk).Select(a => a.Disk!.Capacity));
    }

    [Fact]
    public void An_unknown_network_is_not_found_naming_the_hosts_networks_and_creates_nothing()
    {
        using var node = TestNode.Default();
        var p = Requests.Add("lan").Add(AttrType.DiskSpec, Requests.DiskSpec(size: GiB)).Add(AttrType.NicSpec, Requests.NicSpec("foo"));
        var o = node.Execute(RequestCode.Add, NewVm, p);
        Assert.Equal(AckCode.NotFound, o.Code);
        Assert.Equal("nic-spec: network foo not found on this host (it has default)", o.Results.Text(AttrType.Message));
        Assert.Equal((ulong)ErrorNumber.NoNetwork, o.Results.Number(AttrType.ErrorCode));
        NothingCreated(node, "lan");

        var nic = node.Execute(RequestCode.AddNic, TestNode.DefaultDomain, new AttrList().Add(AttrType.NicSpec, Requests.NicSpec("foo")));
        Assert.Equal(AckCode.NotFound, nic.Code);
        Assert.Single(node.ReadVm(TestNode.DefaultDomain).Attributes.All(AttrType.Nic));
    }

    [Fact]
    public void A_known_network_passes_the_check()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.Add, NewVm, Requests.Add("lan").Add(AttrType.NicSpec, Requests.NicSpec("default")));
        Assert.Equal("default", node.ReadVm(NewVm).Attributes.Find(AttrType.Nic)!.Nic!.Source);
    }
}
