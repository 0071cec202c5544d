using System.Xml;
using Vmm.Protocol;

namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>
/// Device elements: standalone for virDomainAttachDeviceFlags/DetachDeviceFlags, and inside the domain
/// <see cref="DomainXml.Build"/> writes, so a disk or NIC reads the same whether defined or hot-plugged.
/// </summary>
internal static class DeviceXml
{
    /// <summary>
    /// <code>
    /// &lt;disk type='file' device='disk'&gt;
    ///   &lt;driver name='qemu' type='qcow2'/&gt;   (raw for a CD-ROM)
    ///   &lt;source file='PATH'/&gt;        (none when the path is empty: an empty CD-ROM drive, or a disk named for detach,
    ///                                   which libvirt finds by its target alone)
    ///   &lt;target dev='vda' bus='virtio'/&gt;   (no bus for DiskBus.Default)
    ///   &lt;readonly/&gt;
    /// &lt;/disk&gt;
    /// </code>
    /// </summary>
    public static string Disk(DiskDevice d) => XmlText.Write(w => WriteDisk(w, d));

    /// <summary>
    /// <code>
    /// &lt;interface type='network'&gt;        (or bridge, user, direct)
    ///   &lt;mac address='52:54:00:12:34:56'/&gt;   (only when given)
    ///   &lt;source network='NAME'/&gt;             (bridge='NAME'; dev='NAME' mode='bridge' for direct)
    ///   &lt;model type='virtio'/&gt;               (none for NicModel.Default)
    /// &lt;/interface&gt;
    /// </code>
    /// </summary>
    public static string Nic(NicDevice n) => XmlText.Write(w => WriteNic(w, n));

    internal static void WriteDisk(XmlWriter w, DiskDevice d)
    {
        ArgumentException.ThrowIfNullOrEmpty(d.Target);
        w.WriteStartElement("disk");
        w.WriteAttributeString("type", "file");
        w.WriteAttributeString("device", d.Cdrom ? "cdrom" : "disk");

        // Vmm's volumes are qcow2 (internal snapshots need it); a CD-ROM is an ISO image, which is raw.
        w.WriteStartElement("driver");
        w.WriteAttributeString("name", "qemu");
        w.WriteAttributeString("type", d.Cdrom ? "raw" : "qcow2");
        w.WriteEndElement();

        if (!string.IsNullOrEmpty(d.SourcePath))
        {
            w.WriteStartElement("source");
            w.WriteAttributeString("file", d.SourcePath);
            w.WriteEndElement();
        }

        w.WriteStartElement("target");
        w.WriteAttributeString("dev", d.Target);
        if (LibvirtNames.Bus(d.Bus) is string bus) w.WriteAttributeString("bus", bus);
        w.WriteEndElement();

        if (d.ReadOnly || d.Cdrom)
        {
            w.WriteStartElement("readonly");
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }

    internal static void WriteNic(XmlWriter w, NicDevice n)
    {
        string type = LibvirtNames.Kind(n.Kind);
        w.WriteStartElement("interface");
        w.WriteAttributeString("type", type);

        if (n.Mac is ulong mac)
        {
            w.WriteStartElement("mac");
            w.WriteAttributeString("address", MacText.Format(mac));
            w.WriteEndElement();
        }

        if (n.Kind != NicKind.User)
        {
            ArgumentException.ThrowIfNullOrEmpty(n.Source);
            w.WriteStartElement("source");
            switch (n.Kind)
            {
                case NicKind.Network: w.WriteAttributeString("network", n.Source); break;
                case NicKind.Bridge: w.WriteAttributeString("bridge", n.Source); break;
                default:
                    w.WriteAttributeString("dev", n.Source);
                    w.WriteAttributeString("mode", "bridge");
                    break;
            }
            w.WriteEndElement();
        }

        if (LibvirtNames.Model(n.Model) is string model)
        {
            w.WriteStartElement("model");
            w.WriteAttributeString("type", model);
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }
}
