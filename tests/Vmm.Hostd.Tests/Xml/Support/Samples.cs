using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Xml.Support;

internal static class Samples
{
    public static readonly HostFlavor Kvm = new("kvm", "/usr/bin/qemu-system-x86_64", "x86_64", "pc");

    /// <summary>What CapabilitiesXml picks for libvirt's test driver (its host is an i686 without machines).</summary>
    public static readonly HostFlavor TestDriver = new("test", "/usr/bin/test-hv", "i686", "");

    public static readonly Guid Uuid = Guid.Parse("2f1c5f4e-7d2a-4c1b-9e3f-0a1b2c3d4e5f");

    public static DomainSpec Spec(string name = "web-1") => new(
        Uuid, name, Vcpus: 1, MaxVcpus: 4, MemoryKib: 524288, MaxMemoryKib: 2097152,
        Disks:
        [
            new DiskDevice("vda", DiskBus.Virtio, "/var/lib/vmm/web-1-vda.qcow2", ReadOnly: false, Cdrom: false),
            new DiskDevice("sdb", DiskBus.Sata, "/srv/images/data.qcow2", ReadOnly: true, Cdrom: false),
            new DiskDevice("hdc", DiskBus.Ide, "/srv/iso/install.iso", ReadOnly: true, Cdrom: true),
        ],
        Nics:
        [
            new NicDevice(NicKind.Network, "default", NicModel.Virtio, 0x52_54_00_12_34_56),
            new NicDevice(NicKind.Bridge, "br0", NicModel.E1000, 0x52_54_00_ab_cd_ef),
            new NicDevice(NicKind.Network, "default", NicModel.Rtl8139, null),
        ],
        OwnedVolumes: ["/var/lib/vmm/web-1-vda.qcow2"]);

    /// <summary>An attribute list holding <paramref name="attrs"/>.</summary>
    public static AttrList List(params Attr[] attrs)
    {
        var l = new AttrList();
        foreach (var a in attrs) l.Add(a);
        return l;
    }

    public static Attr Num(AttrType t, ulong v) => new() { Type = t, Number = v };

    public static Attr Text(AttrType t, string v) => new() { Type = t, Text = v };

    public static Attr Nested(AttrType t, params Attr[] attrs) => new() { Type = t, Nested = List(attrs) };
}
