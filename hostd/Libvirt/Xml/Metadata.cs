using System.Xml;

namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>
/// Vmm's element in a domain's &lt;metadata&gt;: the paths of the volumes Vmm created for the domain, which
/// delete removes and nothing else does, and &lt;ha/&gt; when the VM is HA (spec §15). It lives in the domain definition so that it follows the domain
/// through migration and survives a hostd restart. In the domain XML it reads
/// <c>&lt;vmm:vmm xmlns:vmm='urn:vmm:1'&gt;&lt;vmm:volume&gt;PATH&lt;/vmm:volume&gt;...&lt;/vmm:vmm&gt;</c>.
/// </summary>
internal static class Metadata
{
    /// <summary>The element's namespace: the uri argument of virDomainSetMetadata/GetMetadata.</summary>
    public const string Namespace = "urn:vmm:1";

    /// <summary>The element's prefix: the key argument of virDomainSetMetadata.</summary>
    public const string Key = "vmm";

    internal const string Root = "vmm";
    internal const string Volume = "volume";
    internal const string Ha = "ha";

    /// <summary>
    /// The metadata argument of virDomainSetMetadata(VIR_DOMAIN_METADATA_ELEMENT, ..., <see cref="Key"/>,
    /// <see cref="Namespace"/>): <c>&lt;vmm&gt;&lt;volume&gt;PATH&lt;/volume&gt;...&lt;/vmm&gt;</c> without a
    /// namespace, because libvirt puts every element of it into the namespace itself and refuses
    /// ("failed to create a new XML namespace") an element that already declares the prefix.
    /// </summary>
    public static string Element(IEnumerable<string> paths, bool ha) => XmlText.Write(w =>
    {
        w.WriteStartElement(Root);
        foreach (var p in paths) XmlText.Element(w, Volume, p);
        if (ha)
        {
            w.WriteStartElement(Ha);
            w.WriteEndElement();
        }
        w.WriteEndElement();
    });

    /// <summary>Writes the element in its namespace, as it stands inside &lt;metadata&gt; of a domain definition.</summary>
    internal static void Write(XmlWriter w, IEnumerable<string> paths, bool ha)
    {
        w.WriteStartElement(Key, Root, Namespace);
        foreach (var p in paths)
        {
            w.WriteStartElement(Key, Volume, Namespace);
            w.WriteString(p);
            w.WriteEndElement();
        }
        if (ha)
        {
            w.WriteStartElement(Key, Ha, Namespace);
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }
}
