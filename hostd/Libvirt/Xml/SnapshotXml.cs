namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>Snapshots, for virDomainSnapshotCreateXML.</summary>
internal static class SnapshotXml
{
    /// <summary>
    /// <c>&lt;domainsnapshot&gt;&lt;name&gt;NAME&lt;/name&gt;&lt;/domainsnapshot&gt;</c>: everything else is left to
    /// libvirt, which then takes an internal snapshot of every qcow2 disk (and of the memory when running).
    /// </summary>
    public static string Create(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return XmlText.Write(w =>
        {
            w.WriteStartElement("domainsnapshot");
            XmlText.Element(w, "name", name);
            w.WriteEndElement();
        });
    }
}
