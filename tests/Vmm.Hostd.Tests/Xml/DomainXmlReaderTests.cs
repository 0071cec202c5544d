// Domains defined outside Vmm are reported too: the reader takes whatever libvirt can describe.
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Xml;

public sealed class DomainXmlReaderTests
{
    // Shaped like virsh dumpxml of a hand-made QEMU domain: no Vmm metadata, every kind of disk and interface.
    private const string Foreign = """
        <domain type='kvm' id='7'>
          <name>legacy</name>
          <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
          <metadata>
            <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
              <libosinfo:os id="http://debian.org/debian/12"/>
            </libosinfo:libosinfo>
          </metadata>
          <memory unit='GiB'>4</memory>
          <currentMemory unit='KiB'>1048576</currentMemory>
          <vcpu placement='static' current='2'>6</vcpu>
          <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <disk type='block' device='disk'>
              <driver name='qemu' type='raw' cache='none'/>
              <source dev='/dev/vg0/legacy'/>
              <target dev='vda' bus='virtio'/>
            </disk>
            <disk type='network' device='disk'>
              <source protocol='rbd' name='pool/image'><host name='ceph1' port='6789'/></source>
              <target dev='vdb' bus='virtio'/>
            </disk>
            <disk type='volume' device='disk'>
              <source pool='default' volume='data.qcow2'/>
              <target dev='sda' bus='scsi'/>
              <shareable/>
            </disk>
            <disk type='file' device='cdrom'>
              <driver name='qemu' type='raw'/>
              <target dev='sdb' bus='sata'/>
              <readonly/>
            </disk>
            <disk type='file' device='floppy'>
              <source file='/srv/boot.img'/>
              <target dev='fda' bus='fdc'/>
            </disk>
            <disk type='file' device='disk'>
              <source file='/srv/x.qcow2'/>
              <target dev='xvda' bus='xen'/>
            </disk>
            <disk type='dir' device='disk'>
              <source dir='/srv/share'/>
              <target dev='hda'/>
            </disk>
            <controller type='usb' index='0'/>
            <interface type='user'>
              <mac address='52:54:00:AA:BB:CC'/>
              <model type='e1000'/>
            </interface>
            <interface type='direct'>
              <mac address='52:54:00:00:00:02'/>
              <source dev='eth0' mode='vepa'/>
              <model type='virtio-non-transitional'/>
            </interface>
            <interface type='bridge'>
              <mac address='52:54:00:00:00:03'/>
              <source bridge='br0'/>
              <target dev='vnet3'/>
              <model type='ne2k_pci'/>
            </interface>
            <interface type='network'>
              <mac address='52:54:00:00:00:04'/>
              <source network='default' portid='1e4c2a0b-1f2e-4c5d-8e9f-0a1b2c3d4e5f' bridge='virbr0'/>
            </interface>
            <interface type='ethernet'>
              <mac address='not-a-mac'/>
              <target dev='tap0' managed='no'/>
            </interface>
            <graphics type='vnc' port='-1'/>
          </devices>
        </domain>
        """;

    [Fact]
    public void Foreign_domain_is_read_with_every_disk_and_nic()
    {
        var d = DomainXmlReader.Parse(Foreign);

        Assert.Equal(6, d.MaxVcpus);
        Assert.Equal(4UL * 1024 * 1024, d.MaxMemoryKib);
        Assert.Empty(d.OwnedVolumes);
        Assert.Equal(
        [
            new DescribedDisk("vda", DiskBus.Virtio, DiskFlags.None, "/dev/vg0/legacy"),
            new DescribedDisk("vdb", DiskBus.Virtio, DiskFlags.None, null),
            new DescribedDisk("sda", DiskBus.Scsi, DiskFlags.None, null),
            new DescribedDisk("sdb", DiskBus.Sata, DiskFlags.ReadOnly | DiskFlags.Cdrom, null),
            new DescribedDisk("fda", DiskBus.Default, DiskFlags.None, "/srv/boot.img"),
            new DescribedDisk("xvda", DiskBus.Default, DiskFlags.None, "/srv/x.qcow2"),
            new DescribedDisk("hda", DiskBus.Default, DiskFlags.None, "/srv/share"),
        ], d.Disks);
        Assert.Equal(
        [
            new NicInfo(0x525400AABBCC, NicModel.E1000, NicKind.User, ""),
            new NicInfo(0x525400000002, NicModel.Virtio, NicKind.Direct, "eth0"),
            new NicInfo(0x525400000003, NicModel.Default, NicKind.Bridge, "br0"),
            new NicInfo(0x525400000004, NicModel.Default, NicKind.Network, "default"),
            new NicInfo(0, NicModel.Default, NicKind.Other, ""),
        ], d.Nics);
    }

    [Fact]
    public void Owned_flag_follows_the_metadata_and_nothing_else()
    {
        const string xml = """
            <domain type='test'>
              <name>v</name>
              <metadata>
                <vmm:vmm xmlns:vmm="urn:vmm:1"><vmm:volume>/p/a.qcow2</vmm:volume><vmm:volume> </vmm:volume><vmm:other>/p/b.qcow2</vmm:other></vmm:vmm>
                <x:vmm xmlns:x="urn:not-vmm"><x:volume>/p/b.qcow2</x:volume></x:vmm>
              </metadata>
              <memory>1024</memory>
              <devices>
                <disk type='file' device='disk'><source file='/p/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
                <disk type='file' device='disk'><source file='/p/b.qcow2'/><target dev='vdb' bus='virtio'/></disk>
              </devices>
            </domain>
            """;

        var d = DomainXmlReader.Parse(xml);

        Assert.Equal(["/p/a.qcow2"], d.OwnedVolumes);
        Assert.Equal([DiskFlags.Owned, DiskFlags.None], d.Disks.Select(x => x.Flags));
    }

    [Fact]
    public void A_bare_domain_reads_as_defaults()
    {
        var d = DomainXmlReader.Parse("<domain type='test'><name>bare</name></domain>");

        Assert.Equal((1, 0UL), (d.MaxVcpus, d.MaxMemoryKib));
        Assert.Empty(d.Disks);
        Assert.Empty(d.Nics);
    }

    [Theory]
    [InlineData("<domain", "domain XML: not well-formed XML")]
    [InlineData("<capabilities/>", "domain XML: the root element is <capabilities>, not <domain>")]
    [InlineData("<domain><vcpu>two</vcpu></domain>", "domain XML: vcpu 'two' is not a number of vCPUs")]
    [InlineData("<domain><memory unit='parsec'>1</memory></domain>", "domain XML: memory: unit 'parsec' is not one libvirt knows")]
    [InlineData("<domain><memory unit='EiB'>20000</memory></domain>", "domain XML: memory: 20000 EiB is too large")]
    [InlineData("<!DOCTYPE domain [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]><domain><name>&b;</name></domain>",
        "domain XML: not well-formed XML")]
    public void Bad_xml_is_one_line_of_FormatException(string xml, string start)
    {
        var e = Assert.Throws<FormatException>(() => DomainXmlReader.Parse(xml));

        Assert.StartsWith(start, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
