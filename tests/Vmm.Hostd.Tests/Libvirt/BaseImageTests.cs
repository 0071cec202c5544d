// Where a base image may come from (BaseImages): only regular files inside the storage pool's directory or
// an image-paths directory, by their real path. Each refusal is a failure ACK naming the reason, and nothing
// is created: no VM, no volume.
using System.Diagnostics;
using Vmm.Hostd.Libvirt;
using Vmm.Hostd.Tests.Support;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Libvirt;

[Trait("Needs", "libvirt")]
public sealed class BaseImageTests
{
    private static readonly Guid NewVm = Guid.Parse("a0000000-0000-4000-8000-0000000000b1");
    private const ulong GiB = 1UL << 30;

    private static AttrList AddOn(string baseImage) =>
        Requests.Add("img").Add(AttrType.DiskSpec, Requests.DiskSpec(size: GiB, baseImage: baseImage));

    private static string Image(string path)
    {
        File.WriteAllBytes(path, [(byte)'Q', (byte)'F', (byte)'I', 0xfb, 0, 0, 0, 3]);
        return path;
    }

    private static void Refused(TestNode node, string baseImage, string why)
    {
        var o = node.Execute(RequestCode.Add, NewVm, AddOn(baseImage));
        Assert.Equal(AckCode.Failure, o.Code);
        string message = o.Results.Text(AttrType.Message)!;
        Assert.StartsWith("disk-spec: base-image ", message);
        Assert.Contains(why, message);
        Assert.DoesNotContain('\n', message);
        Assert.Null(node.Hypervisor.Read(NewVm));
        Assert.False(File.Exists(Path.Combine(node.PoolPath, "img-vda.qcow2")));
    }

    [Theory]
    [InlineData("/etc/shadow", "outside the directories base images may come from")]
    [InlineData("/etc/passwd", "outside the directories base images may come from")]
    [InlineData("/dev/null", "is under /dev")]
    [InlineData("/proc/self/environ", "is under /proc")]
    [InlineData("/sys/kernel", "is under /sys")]
    public void A_host_path_outside_the_image_directories_is_refused(string path, string why)
    {
        using var node = TestNode.WithImageDir();
        Refused(node, path, why);
    }

    [Fact]
    public void A_block_device_is_refused_whatever_its_name()
    {
        var device = new[] { "/dev/sda", "/dev/vda", "/dev/nvme0n1", "/dev/loop0" }.FirstOrDefault(File.Exists);
        if (device is null) return;   // a machine without one: the /dev rule is covered above
        using var node = TestNode.WithImageDir();
        Refused(node, device, "is under /dev");
    }

    [Fact]
    public void A_symlink_inside_that_points_out_is_refused_naming_where_it_leads()
    {
        using var node = TestNode.WithImageDir();
        string link = Path.Combine(node.ImageDir, "shadow.qcow2");
        File.CreateSymbolicLink(link, "/etc/shadow");
        Refused(node, link, "(it resolves to /etc/shadow) is outside");
        string up = Path.Combine(node.ImageDir, "..", "outside.qcow2");
        Image(up);
        Refused(node, up, "is outside");
        string dirLink = Path.Combine(node.ImageDir, "etc");
        Directory.CreateSymbolicLink(dirLink, "/etc");
        Refused(node, Path.Combine(dirLink, "passwd"), "(it resolves to /etc/passwd) is outside");
    }

    [Fact]
    public void What_is_not_a_regular_file_is_refused_even_inside()
    {
        using var node = TestNode.WithImageDir();
        string dir = Directory.CreateDirectory(Path.Combine(node.ImageDir, "sub.qcow2")).FullName;
        Refused(node, dir, "is a directory, not a regular file");
        string fifo = Path.Combine(node.ImageDir, "pipe.qcow2");
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        Refused(node, fifo, "is a FIFO, not a regular file");
    }

    [Fact]
    public void An_image_in_image_paths_or_the_pool_is_taken_by_its_real_path_symlinks_inside_included()
    {
        using var node = TestNode.WithImageDir();
        string golden = Image(Path.Combine(node.ImageDir, "golden.qcow2"));
        string link = Path.Combine(node.ImageDir, "latest.qcow2");
        File.CreateSymbolicLink(link, golden);
        node.Succeed(RequestCode.Add, NewVm, AddOn(link));
        Assert.Equal(DiskFlags.Owned, node.ReadVm(NewVm).Attributes.Find(AttrType.Disk)!.Disk!.Flags);

        Directory.CreateDirectory(node.PoolPath);
        string inPool = Image(Path.Combine(node.PoolPath, "pool-base.qcow2"));
        var second = Guid.Parse("a0000000-0000-4000-8000-0000000000b2");
        node.Succeed(RequestCode.Add, second, Requests.Add("img2").Add(AttrType.DiskSpec, Requests.DiskSpec(size: GiB, baseImage: inPool)));
    }

    [Fact]
    public void An_attached_disk_follows_the_same_rule()
    {
        using var node = TestNode.WithImageDir();
        var p = new AttrList().Add(AttrType.DiskOp, (ulong)DiskOp.Attach)
            .Add(AttrType.DiskSpec, Requests.DiskSpec(baseImage: "/etc/shadow"));
        var o = node.Execute(RequestCode.UpdateDisk, TestNode.DefaultDomain, p);
        Assert.Equal(AckCode.Failure, o.Code);
        Assert.Contains("outside the directories base images may come from", o.Results.Text(AttrType.Message));
        Assert.Single(node.ReadVm(TestNode.DefaultDomain).Attributes.All(AttrType.Disk));
    }

    [Fact]
    public void A_base_image_is_told_qcow2_by_its_magic_and_sized_by_its_header_or_length()
    {
        using var node = TestNode.WithImageDir();
        string qcow2 = Image(Path.Combine(node.ImageDir, "disk.img"));   // the magic, not the name, says qcow2
        Assert.Equal(("qcow2", (ulong?)null), LibvirtHypervisor.BaseImage(qcow2));   // too short for a size field
        string raw = Path.Combine(node.ImageDir, "disk.qcow2");
        File.WriteAllBytes(raw, new byte[4096]);
        Assert.Equal(("raw", (ulong?)4096), LibvirtHypervisor.BaseImage(raw));
    }
}
