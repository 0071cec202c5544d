// The domain definition: what real QEMU needs (libvirt-local.md), and that Parse(Build(spec)) recovers the spec.
using System.Xml.Linq;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Hostd.Tests.Xml.Support;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Xml;

public sealed class DomainXmlTests
{
    private static XElement Built(DomainSpec spec, HostFlavor flavor) => XElement.Parse(DomainXml.Build(spec, flavor));

    [Fact]
    public void Parse_of_Build_recovers_disks_nics_maxima_and_owned_volumes()
    {
        var spec = Samples.Spec();

        var d = DomainXmlReader.Parse(DomainXml.Build(spec, Samples.Kvm));

        Assert.Equal(spec.MaxVcpus, d.MaxVcpus);
        Assert.Equal(spec.MaxMemoryKib, d.MaxMemoryKib);
        Assert.Equal(
        [
            new DescribedDisk("vda", DiskBus.Virtio, DiskFlags.Owned, "/var/lib/vmm/web-1-vda.qcow2"),
            new DescribedDisk("sdb", DiskBus.Sata, DiskFlags.ReadOnly, "/srv/images/data.qcow2"),
            new DescribedDisk("hdc", DiskBus.Ide, DiskFlags.ReadOnly | DiskFlags.Cdrom, "/srv/iso/install.iso"),
        ], d.Disks);
        Assert.Equal(
        [
            new NicInfo(0x52_54_00_12_34_56, NicModel.Virtio, NicKind.Network, "default"),
            new NicInfo(0x52_54_00_ab_cd_ef, NicModel.E1000, NicKind.Bridge, "br0"),
            new NicInfo(0, NicModel.Rtl8139, NicKind.Network, "default"),
        ], d.Nics);
        Assert.Equal(["/var/lib/vmm/web-1-vda.qcow2"], d.OwnedVolumes);
    }

    [Fact]
    public void Qemu_domain_has_what_hotplug_and_snapshots_need()
    {
        var x = Built(Samples.Spec(), Samples.Kvm);

        Assert.Equal("kvm", (string?)x.Attribute("type"));
        Assert.Equal("web-1", x.Element("name")!.Value);
        Assert.Equal(Samples.Uuid.ToString(), x.Element("uuid")!.Value);
        Assert.Equal(("KiB", "2097152"), ((string?)x.Element("memory")!.Attribute("unit"), x.Element("memory")!.Value));
        Assert.Equal(("KiB", "524288"), ((string?)x.Element("currentMemory")!.Attribute("unit"), x.Element("currentMemory")!.Value));
        Assert.Equal(("1", "4"), ((string?)x.Element("vcpu")!.Attribute("current"), x.Element("vcpu")!.Value));
        var type = x.Element("os")!.Element("type")!;
        Assert.Equal(("x86_64", "pc", "hvm"), ((string?)type.Attribute("arch"), (string?)type.Attribute("machine"), type.Value));
        Assert.Equal(["acpi", "apic"], x.Element("features")!.Elements().Select(e => e.Name.LocalName));

        var devices = x.Element("devices")!;
        Assert.Equal("/usr/bin/qemu-system-x86_64", devices.Element("emulator")!.Value);
        Assert.Equal(["qcow2", "qcow2", "raw"], devices.Elements("disk").Select(e => (string?)e.Element("driver")!.Attribute("type")));
        Assert.Equal("pty", (string?)devices.Element("console")!.Attribute("type"));
        // libvirt has no graphics type 'none': a headless VM simply has no graphics element.
        Assert.Empty(x.Descendants("graphics"));
    }

    [Fact]
    public void Test_driver_domain_has_no_qemu_features_and_no_machine()
    {
        var x = Built(Samples.Spec(), Samples.TestDriver);

        Assert.Equal("test", (string?)x.Attribute("type"));
        Assert.Null(x.Element("features"));
        Assert.Null(x.Element("os")!.Element("type")!.Attribute("machine"));
        Assert.Equal("i686", (string?)x.Element("os")!.Element("type")!.Attribute("arch"));
    }

    [Fact]
    public void A_zero_uuid_and_an_unknown_emulator_are_left_to_libvirt()
    {
        var x = Built(Samples.Spec() with { Uuid = Guid.Empty }, Samples.Kvm with { Emulator = null });

        Assert.Null(x.Element("uuid"));
        Assert.Null(x.Element("devices")!.Element("emulator"));
    }

    [Fact]
    public void Owned_volumes_live_in_vmm_metadata_namespace()
    {
        var x = Built(Samples.Spec() with { OwnedVolumes = ["/a.qcow2", "/b.qcow2"] }, Samples.Kvm);

        XNamespace vmm = "urn:vmm:1";
        var element = Assert.Single(x.Element("metadata")!.Elements());
        Assert.Equal(vmm + "vmm", element.Name);
        Assert.Equal("vmm", element.GetPrefixOfNamespace(vmm));
        Assert.Equal(["/a.qcow2", "/b.qcow2"], element.Elements(vmm + "volume").Select(v => v.Value));
    }

    [Theory]
    [InlineData("x</name><uuid>00000000-0000-0000-0000-000000000001</uuid><name>y")]
    [InlineData("a & b 'quoted' \"double\" <devices/>")]
    [InlineData("]]><![CDATA[")]
    public void Hostile_values_stay_values(string hostile)
    {
        var path = "/pool/" + hostile;
        var spec = Samples.Spec(hostile) with
        {
            Disks = [new DiskDevice("vda", DiskBus.Virtio, path, false, false)],
            Nics = [new NicDevice(NicKind.Bridge, hostile, NicModel.Virtio, null)],
            OwnedVolumes = [path],
        };
        var xml = DomainXml.Build(spec, Samples.Kvm with { Emulator = hostile });
        var x = XElement.Parse(xml);

        Assert.Equal(hostile, Assert.Single(x.Elements("name")).Value);
        Assert.Equal(Samples.Uuid.ToString(), Assert.Single(x.Elements("uuid")).Value);
        var devices = Assert.Single(x.Elements("devices"));
        Assert.Equal(hostile, devices.Element("emulator")!.Value);
        Assert.Equal(["emulator", "disk", "interface", "console"], devices.Elements().Select(e => e.Name.LocalName));
        var d = DomainXmlReader.Parse(xml);
        Assert.Equal(path, Assert.Single(d.Disks).SourcePath);
        Assert.Equal(DiskFlags.Owned, d.Disks[0].Flags);
        Assert.Equal(hostile, Assert.Single(d.Nics).Source);
    }

    [Fact]
    public void Control_characters_are_refused_not_written()
    {
        Assert.ThrowsAny<ArgumentException>(() => DomainXml.Build(Samples.Spec("a\u0001b"), Samples.Kvm));
    }

    [Fact]
    public void Broken_invariants_are_caller_bugs()
    {
        Assert.Throws<ArgumentException>(() => DomainXml.Build(Samples.Spec() with { Vcpus = 0 }, Samples.Kvm));
        Assert.Throws<ArgumentException>(() => DomainXml.Build(Samples.Spec() with { Vcpus = 5, MaxVcpus = 4 }, Samples.Kvm));
        Assert.Throws<ArgumentException>(() => DomainXml.Build(Samples.Spec() with { MemoryKib = 0 }, Samples.Kvm));
        Assert.Throws<ArgumentException>(() => DomainXml.Build(Samples.Spec() with { MemoryKib = 3, MaxMemoryKib = 2 }, Samples.Kvm));
    }
}
