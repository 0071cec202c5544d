using System.Globalization;
using System.Xml.Linq;
using Vmm.Protocol;

namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>
/// Reads virDomainGetXMLDesc's answer into what a VM record reports. Every domain on the host is reported,
/// not only Vmm's, so this is tolerant: any disk type (file, block, network, volume, dir), CD-ROMs and
/// floppies, any interface type (user, direct, ethernet, ...), no metadata at all. Words the protocol has
/// no value for read as default (bus, model) or other (kind).
/// </summary>
internal static class DomainXmlReader
{
    private const string What = "domain XML";
    private static readonly XNamespace Vmm = Metadata.Namespace;

    /// <exception cref="FormatException">the XML is malformed, not a domain, or its vcpu or memory is not a number (one line).</exception>
    public static DomainDescription Parse(string domainXml)
    {
        var root = XmlText.Load(domainXml, "domain", What);
        var owned = ReadOwned(root);
        var devices = root.Element("devices");

        var disks = new List<DescribedDisk>();
        foreach (var d in devices?.Elements("disk") ?? [])
            if (ReadDisk(d, owned) is DescribedDisk disk) disks.Add(disk);

        var nics = new List<NicInfo>();
        foreach (var i in devices?.Elements("interface") ?? [])
            nics.Add(ReadNic(i));

        return new DomainDescription(ReadMaxVcpus(root), ReadMaxMemory(root), disks, nics, owned, ReadHa(root));
    }

    // <metadata><vmm:vmm xmlns:vmm='urn:vmm:1'><vmm:volume>PATH</vmm:volume>...</vmm:vmm></metadata>.
    // libvirt puts the children in the namespace too; children without one are read as well, in case a person wrote them.
    private static HashSet<string> ReadOwned(XElement root)
    {
        var owned = new HashSet<string>(StringComparer.Ordinal);
        var vmm = root.Element("metadata")?.Element(Vmm + Metadata.Root);
        if (vmm is null) return owned;
        foreach (var v in vmm.Elements())
        {
            if (v.Name.LocalName != Metadata.Volume || (v.Name.Namespace != Vmm && v.Name.Namespace != XNamespace.None)) continue;
            // Taken exactly as written: a path may begin or end with a space, and it must match the disk's source.
            if (!string.IsNullOrWhiteSpace(v.Value)) owned.Add(v.Value);
        }
        return owned;
    }

    // <metadata><vmm:vmm ...><vmm:ha/></vmm:vmm></metadata>: the VM is HA.
    private static bool ReadHa(XElement root) =>
        root.Element("metadata")?.Element(Vmm + Metadata.Root)?.Elements()
            .Any(e => e.Name.LocalName == Metadata.Ha && (e.Name.Namespace == Vmm || e.Name.Namespace == XNamespace.None)) ?? false;

    // <disk type='file' device='disk'><source file='...'/><target dev='vda' bus='virtio'/><readonly/></disk>
    private static DescribedDisk? ReadDisk(XElement d, HashSet<string> owned)
    {
        var target = d.Element("target");
        var dev = XmlText.Attr(target, "dev");
        // libvirt refuses to define a disk without a target, so this only skips hand-made XML it would never return.
        if (string.IsNullOrEmpty(dev)) return null;

        var source = d.Element("source");
        string? path = XmlText.Attr(d, "type") switch
        {
            "file" or null => XmlText.Attr(source, "file"),
            "block" => XmlText.Attr(source, "dev"),
            "dir" => XmlText.Attr(source, "dir"),
            _ => null,
        };
        if (string.IsNullOrEmpty(path)) path = null;

        var flags = DiskFlags.None;
        if (d.Element("readonly") is not null) flags |= DiskFlags.ReadOnly;
        if (XmlText.Attr(d, "device") == "cdrom") flags |= DiskFlags.Cdrom;
        if (path is not null && owned.Contains(path)) flags |= DiskFlags.Owned;
        return new DescribedDisk(dev, LibvirtNames.ParseBus(XmlText.Attr(target, "bus")), flags, path);
    }

    // <interface type='network'><mac address='52:54:00:..'/><source network='default'/><model type='virtio'/></interface>
    private static NicInfo ReadNic(XElement i)
    {
        var kind = LibvirtNames.ParseKind(XmlText.Attr(i, "type"));
        var source = i.Element("source");
        string? name = kind switch
        {
            NicKind.Network => XmlText.Attr(source, "network"),
            NicKind.Bridge => XmlText.Attr(source, "bridge"),
            NicKind.Direct => XmlText.Attr(source, "dev"),
            _ => null,
        };
        // An interface without a MAC never comes from libvirt (it generates one at define); 0 stands for "none".
        MacText.TryParse(XmlText.Attr(i.Element("mac"), "address"), out ulong mac);
        return new NicInfo(mac, LibvirtNames.ParseModel(XmlText.Attr(i.Element("model"), "type")), kind, name ?? "");
    }

    // <vcpu placement='static' current='1'>2</vcpu>: the text is the maximum.
    private static ushort ReadMaxVcpus(XElement root)
    {
        var vcpu = root.Element("vcpu");
        if (vcpu is null) return 1;
        if (!ushort.TryParse(vcpu.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ushort max))
            throw new FormatException($"{What}: vcpu '{Validation.Shorten(vcpu.Value)}' is not a number of vCPUs");
        return max;
    }

    /// <summary>The currentMemory element of a domain's XML (the memory element when it has none), KiB.</summary>
    /// <exception cref="FormatException">the XML is malformed, not a domain, or the value is not a size (one line).</exception>
    public static ulong CurrentMemoryKib(string domainXml)
    {
        var root = XmlText.Load(domainXml, "domain", What);
        if (root.Element("currentMemory") is not { } current) return ReadMaxMemory(root);
        return MemoryUnits.ToKib(current.Value, XmlText.Attr(current, "unit"), "KiB", $"{What}: currentMemory");
    }

    private static ulong ReadMaxMemory(XElement root)
    {
        var memory = root.Element("memory");
        return memory is null ? 0 : MemoryUnits.ToKib(memory.Value, XmlText.Attr(memory, "unit"), "KiB", $"{What}: memory");
    }
}
