// The add, disk-spec and nic-spec rules of spec §8.1: defaults, and one message for each broken rule.
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;
using static Vmm.Hostd.Tests.Xml.Support.Samples;

namespace Vmm.Hostd.Tests.Xml;

public sealed class RequestSpecsTests
{
    private static readonly Guid Id = Guid.Parse("11111111-2222-3333-4444-555555555555");

    private static string Refused(Action parse) => Assert.Throws<SpecException>(parse).Message;

    private static string RefusedAdd(params Attr[] attrs) => Refused(() => RequestSpecs.ParseAdd(Id, List(attrs)));

    [Fact]
    public void Add_with_only_a_name_gets_the_documented_defaults()
    {
        var add = RequestSpecs.ParseAdd(Id, List(Text(AttrType.Name, "web-1")));

        Assert.Equal(new AddRequest(Id, "web-1", 1, 1, 524288, 524288, add.Disks, add.Nics), add);
        Assert.Equal(RequestSpecs.DefaultMemoryKib, add.MemoryKib);
        Assert.Empty(add.Disks);
        Assert.Empty(add.Nics);
    }

    [Fact]
    public void Maxima_default_to_the_values_at_start()
    {
        var add = RequestSpecs.ParseAdd(Id, List(Text(AttrType.Name, "a"), Num(AttrType.Vcpus, 3), Num(AttrType.Memory, 1048576)));

        Assert.Equal((3, 3, 1048576UL, 1048576UL), (add.Vcpus, add.MaxVcpus, add.MemoryKib, add.MaxMemoryKib));
    }

    [Fact]
    public void Every_parameter_given_is_kept()
    {
        var add = RequestSpecs.ParseAdd(Id, List(
            Text(AttrType.Name, "db.2_x"), Num(AttrType.Vcpus, 2), Num(AttrType.MaxVcpus, 8),
            Num(AttrType.Memory, 262144), Num(AttrType.MaxMemory, 4194304),
            Nested(AttrType.DiskSpec, Num(AttrType.Size, 10_737_418_240), Text(AttrType.Target, "sda"), Num(AttrType.Bus, (ulong)DiskBus.Scsi)),
            Nested(AttrType.DiskSpec, Text(AttrType.BaseImage, "/srv/base.qcow2"), Num(AttrType.Size, 1 << 30)),
            Nested(AttrType.NicSpec, Text(AttrType.Bridge, "br0"), Num(AttrType.Model, (ulong)NicModel.E1000e), Num(AttrType.Mac, 0x525400000001)),
            Nested(AttrType.NicSpec, Text(AttrType.Network, "default"))));

        Assert.Equal(("db.2_x", (ushort)2, (ushort)8, 262144UL, 4194304UL), (add.Name, add.Vcpus, add.MaxVcpus, add.MemoryKib, add.MaxMemoryKib));
        Assert.Equal(
            [new DiskRequest("sda", DiskBus.Scsi, 10_737_418_240, null), new DiskRequest("vda", DiskBus.Virtio, 1 << 30, "/srv/base.qcow2")],
            add.Disks);
        Assert.Equal(
            [new NicDevice(NicKind.Bridge, "br0", NicModel.E1000e, 0x525400000001), new NicDevice(NicKind.Network, "default", NicModel.Virtio, null)],
            add.Nics);
    }

    [Fact]
    public void Missing_targets_become_the_next_free_vdX_after_the_given_ones()
    {
        var add = RequestSpecs.ParseAdd(Id, List(
            Text(AttrType.Name, "a"),
            Nested(AttrType.DiskSpec, Num(AttrType.Size, 1)),
            Nested(AttrType.DiskSpec, Num(AttrType.Size, 1), Text(AttrType.Target, "vda")),
            Nested(AttrType.DiskSpec, Num(AttrType.Size, 1)),
            Nested(AttrType.DiskSpec, Num(AttrType.Size, 1), Text(AttrType.Target, "vdc"))));

        Assert.Equal(["vdb", "vda", "vdd", "vdc"], add.Disks.Select(d => d.Target));
    }

    [Fact]
    public void Unknown_and_misplaced_parameters_are_ignored()
    {
        var add = RequestSpecs.ParseAdd(Id, List(
            Text(AttrType.Name, "a"), Num(AttrType.TimeoutMs, 5), Text(AttrType.DestUri, "qemu:///x"),
            new Attr { Type = (AttrType)0x7E, Opaque = null }));

        Assert.Equal("a", add.Name);
    }

    [Fact]
    public void The_uuid_is_passed_through_even_when_zero()
    {
        Assert.Equal(Guid.Empty, RequestSpecs.ParseAdd(Guid.Empty, List(Text(AttrType.Name, "a"))).Uuid);
    }

    [Fact]
    public void Add_messages_name_the_parameter_and_the_rule()
    {
        Assert.Equal("name is required: the new VM needs a name", RefusedAdd(Num(AttrType.Vcpus, 1)));
        Assert.Equal("name 'a b' may hold only letters, digits, '.', '_' and '-', and must begin with a letter or digit",
            RefusedAdd(Text(AttrType.Name, "a b")));
        Assert.Equal("vcpus 0: a VM needs at least 1 vCPU", RefusedAdd(Text(AttrType.Name, "a"), Num(AttrType.Vcpus, 0)));
        Assert.Equal("vcpus 70000: at most 65535", RefusedAdd(Text(AttrType.Name, "a"), Num(AttrType.Vcpus, 70000)));
        Assert.Equal("max-vcpus 2 is less than vcpus 3: the maximum must be at least the vCPUs at start",
            RefusedAdd(Text(AttrType.Name, "a"), Num(AttrType.Vcpus, 3), Num(AttrType.MaxVcpus, 2)));
        Assert.Equal("max-vcpus 70000: at most 65535", RefusedAdd(Text(AttrType.Name, "a"), Num(AttrType.MaxVcpus, 70000)));
        Assert.Equal("memory 0 KiB: a VM needs memory (in KiB: 524288 is 512 MiB)", RefusedAdd(Text(AttrType.Name, "a"), Num(AttrType.Memory, 0)));
        Assert.Equal("max-memory 0 KiB: a VM needs memory (in KiB: 524288 is 512 MiB)", RefusedAdd(Text(AttrType.Name, "a"), Num(AttrType.MaxMemory, 0)));
        Assert.Equal($"memory {ulong.MaxValue} KiB is more than 2^64 bytes", RefusedAdd(Text(AttrType.Name, "a"), Num(AttrType.Memory, ulong.MaxValue)));
        Assert.Equal("max-memory 1 MiB is less than memory 2 MiB: the maximum must be at least the memory at start",
            RefusedAdd(Text(AttrType.Name, "a"), Num(AttrType.Memory, 2048), Num(AttrType.MaxMemory, 1024)));
        Assert.Equal("max-memory 1 MiB is less than memory 512 MiB: the maximum must be at least the memory at start",
            RefusedAdd(Text(AttrType.Name, "a"), Num(AttrType.MaxMemory, 1024)));
        Assert.Equal("disk-spec: target vdb is given twice", RefusedAdd(Text(AttrType.Name, "a"),
            Nested(AttrType.DiskSpec, Num(AttrType.Size, 1), Text(AttrType.Target, "vdb")),
            Nested(AttrType.DiskSpec, Num(AttrType.Size, 1), Text(AttrType.Target, "vdb"))));
        Assert.Equal("nic-spec: mac 52:54:00:00:00:01 is given twice", RefusedAdd(Text(AttrType.Name, "a"),
            Nested(AttrType.NicSpec, Text(AttrType.Network, "n"), Num(AttrType.Mac, 0x525400000001)),
            Nested(AttrType.NicSpec, Text(AttrType.Bridge, "b"), Num(AttrType.Mac, 0x525400000001))));
    }

    [Fact]
    public void A_bad_disk_spec_inside_add_refuses_the_add()
    {
        Assert.Equal("disk-spec: give size or base-image", RefusedAdd(Text(AttrType.Name, "a"), Nested(AttrType.DiskSpec, Text(AttrType.Target, "vda"))));
        Assert.Equal("nic-spec: give exactly one of network or bridge", RefusedAdd(Text(AttrType.Name, "a"), Nested(AttrType.NicSpec)));
    }

    [Fact]
    public void Disk_spec_defaults_bus_to_virtio_and_leaves_the_target_open()
    {
        Assert.Equal(new DiskRequest(null, DiskBus.Virtio, 4096, null), RequestSpecs.ParseDisk(List(Num(AttrType.Size, 4096))));
        Assert.Equal(new DiskRequest(null, DiskBus.Virtio, 4096, null),
            RequestSpecs.ParseDisk(List(Num(AttrType.Size, 4096), Num(AttrType.Bus, (ulong)DiskBus.Default))));
        Assert.Equal(new DiskRequest("hdb", DiskBus.Ide, null, "/b.img"),
            RequestSpecs.ParseDisk(List(Text(AttrType.BaseImage, "/b.img"), Text(AttrType.Target, "hdb"), Num(AttrType.Bus, (ulong)DiskBus.Ide))));
    }

    [Fact]
    public void Disk_spec_messages_name_the_parameter_and_the_rule()
    {
        Assert.Equal("disk-spec: give size or base-image", Refused(() => RequestSpecs.ParseDisk(List())));
        Assert.Equal("disk-spec: size 0: a disk needs at least 1 byte", Refused(() => RequestSpecs.ParseDisk(List(Num(AttrType.Size, 0)))));
        Assert.Equal("disk-spec: base-image 'images/base.qcow2' must be an absolute path",
            Refused(() => RequestSpecs.ParseDisk(List(Text(AttrType.BaseImage, "images/base.qcow2")))));
        Assert.Equal("disk-spec: base-image '' must be an absolute path", Refused(() => RequestSpecs.ParseDisk(List(Text(AttrType.BaseImage, "")))));
        Assert.Equal("disk-spec: bus 6 is not one of 0-5 (default, virtio, scsi, sata, ide, usb)",
            Refused(() => RequestSpecs.ParseDisk(List(Num(AttrType.Size, 1), Num(AttrType.Bus, 6)))));
        Assert.Equal("disk-spec: target '../vda' may hold only letters, digits, '.', '_' and '-', and must begin with a letter or digit",
            Refused(() => RequestSpecs.ParseDisk(List(Num(AttrType.Size, 1), Text(AttrType.Target, "../vda")))));
        Assert.Equal($"disk-spec: target '{new string('v', 33)}' is longer than 32 characters",
            Refused(() => RequestSpecs.ParseDisk(List(Num(AttrType.Size, 1), Text(AttrType.Target, new string('v', 33))))));
    }

    [Fact]
    public void Nic_spec_defaults_model_to_virtio_and_leaves_the_mac_to_libvirt()
    {
        Assert.Equal(new NicDevice(NicKind.Network, "default", NicModel.Virtio, null), RequestSpecs.ParseNic(List(Text(AttrType.Network, "default"))));
        Assert.Equal(new NicDevice(NicKind.Bridge, "br-lan", NicModel.Rtl8139, 0x0A0000000001),
            RequestSpecs.ParseNic(List(Text(AttrType.Bridge, "br-lan"), Num(AttrType.Model, (ulong)NicModel.Rtl8139), Num(AttrType.Mac, 0x0A0000000001))));
    }

    [Fact]
    public void Nic_spec_messages_name_the_parameter_and_the_rule()
    {
        Assert.Equal("nic-spec: give exactly one of network or bridge", Refused(() => RequestSpecs.ParseNic(List())));
        Assert.Equal("nic-spec: give exactly one of network or bridge",
            Refused(() => RequestSpecs.ParseNic(List(Text(AttrType.Network, "n"), Text(AttrType.Bridge, "b")))));
        Assert.Equal("nic-spec: model 5 is not one of 0-4 (default, virtio, e1000, rtl8139, e1000e)",
            Refused(() => RequestSpecs.ParseNic(List(Text(AttrType.Network, "n"), Num(AttrType.Model, 5)))));
        Assert.Equal("nic-spec: mac 01:00:5e:00:00:01 is a multicast address; a NIC needs a unicast one (lowest bit of the first octet clear)",
            Refused(() => RequestSpecs.ParseNic(List(Text(AttrType.Network, "n"), Num(AttrType.Mac, 0x01005E000001)))));
        Assert.Equal("nic-spec: mac 00:00:00:00:00:00 is not a usable address",
            Refused(() => RequestSpecs.ParseNic(List(Text(AttrType.Network, "n"), Num(AttrType.Mac, 0)))));
        Assert.Equal("nic-spec: mac 1000000000000 has more than 48 bits",
            Refused(() => RequestSpecs.ParseNic(List(Text(AttrType.Network, "n"), Num(AttrType.Mac, 1UL << 48)))));
        Assert.Equal("nic-spec: bridge 'bridge-too-long-x' is longer than 15 characters, the most a Linux interface name has",
            Refused(() => RequestSpecs.ParseNic(List(Text(AttrType.Bridge, "bridge-too-long-x")))));
        Assert.Equal("nic-spec: network 'a/b' may hold only letters, digits, '.', '_' and '-', and must begin with a letter or digit",
            Refused(() => RequestSpecs.ParseNic(List(Text(AttrType.Network, "a/b")))));
        Assert.Equal("nic-spec: bridge is empty", Refused(() => RequestSpecs.ParseNic(List(Text(AttrType.Bridge, "")))));
    }

    [Fact]
    public void Every_message_is_one_line_even_for_hostile_input()
    {
        var message = RefusedAdd(Text(AttrType.Name, "evil\nname\u0085\u2028"));

        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\u0085', message);
        Assert.DoesNotContain('\u2028', message);
    }
}
