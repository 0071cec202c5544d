namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>Storage pools, for virStoragePoolDefineXML.</summary>
internal static class PoolXml
{
    /// <summary>A directory pool: <c>&lt;pool type='dir'&gt;&lt;name&gt;NAME&lt;/name&gt;&lt;target&gt;&lt;path&gt;PATH&lt;/path&gt;&lt;/target&gt;&lt;/pool&gt;</c>.</summary>
    public static string Directory(string name, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(path);
        return XmlText.Write(w =>
        {
            w.WriteStartElement("pool");
            w.WriteAttributeString("type", "dir");
            XmlText.Element(w, "name", name);
            w.WriteStartElement("target");
            XmlText.Element(w, "path", path);
            w.WriteEndElement();
            w.WriteEndElement();
        });
    }
}
