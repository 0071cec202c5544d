// What libvirt itself makes of the XML: libvirt's test driver (in-process in virsh, no daemon) defines the
// domain, and its dumpxml, libvirt's own rewriting of our XML, goes back through DomainXmlReader.
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Hostd.Tests.Xml.Support;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Xml;

[Trait("Category", "TestDriver")]
[Trait("Needs", "libvirt")]
public sealed class TestDriverTests
{
    private static readonly HostFlavor Flavor = CapabilitiesXml.Parse(Virsh.Run("capabilities"), "TEST");

    [Fact]
    public void Test_driver_defines_the_built_domain_and_describes_it_back()
    {
        var spec = Samples.Spec("vmm-xml-1");
        using var file = Virsh.File(DomainXml.Build(spec, Flavor));

        var dumped = Virsh.Run($"define {file.Path}; dumpxml vmm-xml-1 --inactive");
        var d = DomainXmlReader.Parse(dumped);

        Assert.Contains($"<uuid>{Samples.Uuid}</uuid>", dumped);
        Assert.Equal(spec.MaxVcpus, d.MaxVcpus);
        Assert.Equal(spec.MaxMemoryKib, d.MaxMemoryKib);
        Assert.Equal(spec.Disks.Select(x => (x.Target, x.Bus, x.SourcePath)), d.Disks.Select(x => (x.Target, x.Bus, x.SourcePath!)));
        Assert.Equal([DiskFlags.Owned, DiskFlags.ReadOnly, DiskFlags.ReadOnly | DiskFlags.Cdrom], d.Disks.Select(x => x.Flags));
        Assert.Equal(spec.OwnedVolumes, d.OwnedVolumes.Order());
        Assert.Equal(spec.Nics.Select(n => (n.Kind, n.Source, n.Model)), d.Nics.Select(n => (n.Kind, n.Source, n.Model)));
        Assert.Equal(0x525400123456UL, d.Nics[0].Mac);
        Assert.Equal(0x525400ABCDEFUL, d.Nics[1].Mac);
        // The NIC given no MAC got one from libvirt, in its own 52:54:00 range.
        Assert.Equal(0x525400UL, d.Nics[2].Mac >> 24);
    }

    [Fact]
    public void Current_vcpus_and_memory_survive_the_definition()
    {
        using var file = Virsh.File(DomainXml.Build(Samples.Spec("vmm-xml-2") with { Vcpus = 3, MaxVcpus = 4 }, Flavor));

        var info = Virsh.Run($"define {file.Path}; vcpucount vmm-xml-2 --config --current; dominfo vmm-xml-2");

        Assert.StartsWith("3", info.Trim());
        Assert.Contains("Max memory:     2097152 KiB", info);
        Assert.Contains("Used memory:    524288 KiB", info);
    }

    [Fact]
    public void Empty_cdrom_drive_is_defined_and_read_back_without_a_path()
    {
        var spec = Samples.Spec("vmm-xml-3") with { Disks = [new DiskDevice("hdc", DiskBus.Ide, "", ReadOnly: true, Cdrom: true)] };
        using var file = Virsh.File(DomainXml.Build(spec, Flavor));

        var d = DomainXmlReader.Parse(Virsh.Run($"define {file.Path}; dumpxml vmm-xml-3"));

        Assert.Equal(new DescribedDisk("hdc", DiskBus.Ide, DiskFlags.ReadOnly | DiskFlags.Cdrom, null), Assert.Single(d.Disks));
    }

    [Fact]
    public void Hostile_name_is_taken_literally_by_libvirt()
    {
        // libvirt refuses '/' in a name; everything else XML could trip on is in here.
        const string name = "a<b>&c'd\"e";
        var spec = Samples.Spec(name) with { Disks = [], Nics = [], OwnedVolumes = ["/v/x&y<z>.qcow2"] };
        using var file = Virsh.File(DomainXml.Build(spec, Flavor));

        var dumped = Virsh.Run($"define {file.Path}; domname {Samples.Uuid}; dumpxml {Samples.Uuid}");

        Assert.StartsWith(name + "\n", dumped);
        Assert.Equal(["/v/x&y<z>.qcow2"], DomainXmlReader.Parse(dumped[(name.Length + 1)..]).OwnedVolumes);
    }

    [Fact]
    public void Metadata_set_through_SetMetadata_reads_back_as_owned_volumes()
    {
        var metadata = Metadata.Element(["/guest/diskimage1", "/v/new.qcow2"], ha: false);
        Assert.DoesNotContain('\'', metadata);

        var dumped = Virsh.Run($"metadata test --uri {Metadata.Namespace} --key {Metadata.Key} --set '{metadata}' --config; dumpxml test --inactive");
        var d = DomainXmlReader.Parse(dumped);

        Assert.Equal(["/guest/diskimage1", "/v/new.qcow2"], d.OwnedVolumes.Order());
        Assert.Equal(DiskFlags.Owned, Assert.Single(d.Disks).Flags);
    }

    [Fact]
    public void Attachable_devices_parse_as_libvirt_device_xml()
    {
        // The test driver cannot hot-plug, but it parses the device before saying so: a malformed element would
        // fail with an XML error instead of "not supported".
        using var disk = Virsh.File(DeviceXml.Disk(new DiskDevice("vdz", DiskBus.Virtio, "/v/d.qcow2", false, false)));
        using var nic = Virsh.File(DeviceXml.Nic(new NicDevice(NicKind.Network, "default", NicModel.Virtio, 0x525400000009)));

        var e1 = Assert.ThrowsAny<Exception>(() => Virsh.Run($"attach-device test {disk.Path} --config"));
        var e2 = Assert.ThrowsAny<Exception>(() => Virsh.Run($"attach-device test {nic.Path} --config"));

        Assert.Contains("not supported", e1.Message);
        Assert.Contains("not supported", e2.Message);
    }

    [Fact]
    public void Snapshot_pool_and_volumes_are_accepted()
    {
        using var snap = Virsh.File(SnapshotXml.Create("before-upgrade"));
        using var pool = Virsh.File(PoolXml.Directory("vmm-images", "/var/lib/vmm/images"));
        using var blank = Virsh.File(VolumeXml.Blank("blank.qcow2", 1 << 30));

        var output = Virsh.Run(
            $"snapshot-create test {snap.Path}; snapshot-list test --name; pool-define {pool.Path}; pool-dumpxml vmm-images; "
            + $"vol-create default-pool {blank.Path}; vol-dumpxml blank.qcow2 --pool default-pool");

        Assert.Contains("before-upgrade", output);
        Assert.Contains("<path>/var/lib/vmm/images</path>", output);
        Assert.Contains("<capacity unit='bytes'>1073741824</capacity>", output);
    }
}
