namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>Storage volumes for virStorageVolCreateXML in hostd's directory pool. Every volume Vmm creates is
/// qcow2: internal snapshots of a running VM need every disk to be qcow2.</summary>
internal static class VolumeXml
{
    /// <summary>
    /// A new empty volume:
    /// <c>&lt;volume&gt;&lt;name&gt;NAME&lt;/name&gt;&lt;capacity unit='bytes'&gt;N&lt;/capacity&gt;&lt;target&gt;&lt;format type='qcow2'/&gt;&lt;/target&gt;&lt;/volume&gt;</c>.
    /// </summary>
    public static string Blank(string name, ulong capacity)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfZero(capacity);
        return XmlText.Write(w =>
        {
            w.WriteStartElement("volume");
            XmlText.Element(w, "name", name);
            XmlText.Scaled(w, "capacity", "bytes", capacity);
            WriteFormat(w, "target", "qcow2");
            w.WriteEndElement();
        });
    }

    /// <summary>
    /// A copy-on-write overlay on <paramref name="basePath"/>: the base stays untouched and is only read.
    /// <paramref name="baseFormat"/> is the base's format (qcow2, raw): libvirt and QEMU refuse to guess it,
    /// since probing a raw image's format is a known escape. <paramref name="capacity"/> null gives the base's size.
    /// <code>
    /// &lt;volume&gt;&lt;name&gt;NAME&lt;/name&gt;&lt;capacity unit='bytes'&gt;N&lt;/capacity&gt;&lt;target&gt;&lt;format type='qcow2'/&gt;&lt;/target&gt;
    ///   &lt;backingStore&gt;&lt;path&gt;BASE&lt;/path&gt;&lt;format type='FORMAT'/&gt;&lt;/backingStore&gt;&lt;/volume&gt;
    /// </code>
    /// </summary>
    public static string Overlay(string name, string basePath, string baseFormat, ulong? capacity)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(basePath);
        ArgumentException.ThrowIfNullOrEmpty(baseFormat);
        if (capacity == 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "an overlay's capacity is null (the base's) or positive");
        return XmlText.Write(w =>
        {
            w.WriteStartElement("volume");
            XmlText.Element(w, "name", name);
            if (capacity is ulong c) XmlText.Scaled(w, "capacity", "bytes", c);
            WriteFormat(w, "target", "qcow2");
            w.WriteStartElement("backingStore");
            XmlText.Element(w, "path", basePath);
            w.WriteStartElement("format");
            w.WriteAttributeString("type", baseFormat);
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
        });
    }

    private static void WriteFormat(System.Xml.XmlWriter w, string parent, string format)
    {
        w.WriteStartElement(parent);
        w.WriteStartElement("format");
        w.WriteAttributeString("type", format);
        w.WriteEndElement();
        w.WriteEndElement();
    }
}
