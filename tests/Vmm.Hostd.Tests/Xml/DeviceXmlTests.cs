// Device elements as virDomainAttachDeviceFlags takes them, and the small documents for volumes, pools and snapshots.
using System.Xml.Linq;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Xml;

public sealed class DeviceXmlTests
{
    /// <summary>The element as compact text with single quotes, the way libvirt's documentation shows it.</summary>
    private static string Compact(string xml) => XElement.Parse(xml).ToString(SaveOptions.DisableFormatting).Replace('"', '\'');

    [Fact]
    public void Disk_is_a_qcow2_file()
    {
        Assert.Equal(
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2' /><source file='/var/lib/vmm/a.qcow2' /><target dev='vdb' bus='virtio' /></disk>",
            Compact(DeviceXml.Disk(new DiskDevice("vdb", DiskBus.Virtio, "/var/lib/vmm/a.qcow2", false, false))));
    }

    [Fact]
    public void Cdrom_is_raw_and_read_only_and_default_bus_is_left_out()
    {
        Assert.Equal(
            "<disk type='file' device='cdrom'><driver name='qemu' type='raw' /><source file='/i.iso' /><target dev='hdc' /><readonly /></disk>",
            Compact(DeviceXml.Disk(new DiskDevice("hdc", DiskBus.Default, "/i.iso", ReadOnly: false, Cdrom: true))));
    }

    [Fact]
    public void Empty_cdrom_drive_has_no_source()
    {
        Assert.Equal(
            "<disk type='file' device='cdrom'><driver name='qemu' type='raw' /><target dev='sdc' bus='sata' /><readonly /></disk>",
            Compact(DeviceXml.Disk(new DiskDevice("sdc", DiskBus.Sata, "", ReadOnly: true, Cdrom: true))));
    }

    [Theory]
    [InlineData(NicKind.Network, "default", NicModel.Virtio, 0x525400123456UL,
        "<interface type='network'><mac address='52:54:00:12:34:56' /><source network='default' /><model type='virtio' /></interface>")]
    [InlineData(NicKind.Bridge, "br0", NicModel.E1000e, null,
        "<interface type='bridge'><source bridge='br0' /><model type='e1000e' /></interface>")]
    [InlineData(NicKind.User, "", NicModel.Rtl8139, null,
        "<interface type='user'><model type='rtl8139' /></interface>")]
    [InlineData(NicKind.Direct, "eth0", NicModel.Default, 0xFEDCBA987654UL,
        "<interface type='direct'><mac address='fe:dc:ba:98:76:54' /><source dev='eth0' mode='bridge' /></interface>")]
    public void Nic_by_kind(NicKind kind, string source, NicModel model, ulong? mac, string expected)
    {
        Assert.Equal(expected, Compact(DeviceXml.Nic(new NicDevice(kind, source, model, mac))));
    }

    [Fact]
    public void Nic_of_kind_other_or_without_a_source_is_a_caller_bug()
    {
        Assert.ThrowsAny<ArgumentException>(() => DeviceXml.Nic(new NicDevice(NicKind.Other, "x", NicModel.Virtio, null)));
        Assert.ThrowsAny<ArgumentException>(() => DeviceXml.Nic(new NicDevice(NicKind.Network, "", NicModel.Virtio, null)));
        Assert.ThrowsAny<ArgumentException>(() => DeviceXml.Nic(new NicDevice(NicKind.Network, "n", NicModel.Virtio, 1UL << 48)));
    }

    [Fact]
    public void Blank_volume_is_qcow2_of_the_capacity_in_bytes()
    {
        Assert.Equal(
            "<volume><name>web-1-vda.qcow2</name><capacity unit='bytes'>10737418240</capacity><target><format type='qcow2' /></target></volume>",
            Compact(VolumeXml.Blank("web-1-vda.qcow2", 10_737_418_240)));
    }

    [Fact]
    public void Overlay_names_its_base_and_the_base_format()
    {
        Assert.Equal(
            "<volume><name>o.qcow2</name><capacity unit='bytes'>2147483648</capacity><target><format type='qcow2' /></target>"
            + "<backingStore><path>/srv/base.img</path><format type='raw' /></backingStore></volume>",
            Compact(VolumeXml.Overlay("o.qcow2", "/srv/base.img", "raw", 2_147_483_648)));
        Assert.Null(XElement.Parse(VolumeXml.Overlay("o.qcow2", "/b", "qcow2", null)).Element("capacity"));
    }

    [Fact]
    public void Pool_is_a_directory()
    {
        Assert.Equal("<pool type='dir'><name>vmm</name><target><path>/var/lib/vmm/images</path></target></pool>",
            Compact(PoolXml.Directory("vmm", "/var/lib/vmm/images")));
    }

    [Fact]
    public void Snapshot_is_only_a_name()
    {
        Assert.Equal("<domainsnapshot><name>before-upgrade</name></domainsnapshot>", Compact(SnapshotXml.Create("before-upgrade")));
    }

    [Fact]
    public void Metadata_for_SetMetadata_has_no_namespace_of_its_own()
    {
        var x = XElement.Parse(Metadata.Element(["/a & b.qcow2", "/c<d>.qcow2"], ha: false));

        Assert.Equal(XName.Get("vmm"), x.Name);
        Assert.Empty(x.Attributes());
        Assert.Equal(["/a & b.qcow2", "/c<d>.qcow2"], x.Elements("volume").Select(v => v.Value));
        Assert.Empty(XElement.Parse(Metadata.Element([], ha: false)).Elements());
    }

    [Fact]
    public void Hostile_names_in_small_documents_stay_values()
    {
        const string hostile = "x</name><name>y'\"&";

        Assert.Equal(hostile, Assert.Single(XElement.Parse(VolumeXml.Blank(hostile, 1)).Elements("name")).Value);
        var overlay = XElement.Parse(VolumeXml.Overlay(hostile, hostile, hostile, null));
        Assert.Equal(hostile, overlay.Element("backingStore")!.Element("path")!.Value);
        Assert.Equal(hostile, (string?)overlay.Element("backingStore")!.Element("format")!.Attribute("type"));
        Assert.Equal(hostile, Assert.Single(XElement.Parse(PoolXml.Directory(hostile, hostile)).Elements("name")).Value);
        Assert.Equal(hostile, Assert.Single(XElement.Parse(SnapshotXml.Create(hostile)).Elements("name")).Value);
    }
}
