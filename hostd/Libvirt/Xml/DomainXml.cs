using System.Xml;

namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>The definition of a new persistent domain, for virDomainDefineXML.</summary>
internal static class DomainXml
{
    /// <summary>
    /// <code>
    /// &lt;domain type='kvm'&gt;
    ///   &lt;name&gt;NAME&lt;/name&gt; &lt;uuid&gt;UUID&lt;/uuid&gt;           (no uuid when Guid.Empty: libvirt picks one)
    ///   &lt;metadata&gt;&lt;vmm:vmm xmlns:vmm='urn:vmm:1'&gt;&lt;vmm:volume&gt;PATH&lt;/vmm:volume&gt;...&lt;/vmm:vmm&gt;&lt;/metadata&gt;
    ///   &lt;memory unit='KiB'&gt;MAX&lt;/memory&gt; &lt;currentMemory unit='KiB'&gt;NOW&lt;/currentMemory&gt;
    ///   &lt;vcpu placement='static' current='NOW'&gt;MAX&lt;/vcpu&gt;
    ///   &lt;os&gt;&lt;type arch='x86_64' machine='pc'&gt;hvm&lt;/type&gt;&lt;boot dev='hd'/&gt;&lt;/os&gt;
    ///   &lt;features&gt;&lt;acpi/&gt;&lt;apic/&gt;&lt;/features&gt;      (kvm and qemu only)
    ///   &lt;devices&gt; emulator, disks, interfaces, &lt;console type='pty'/&gt; &lt;/devices&gt;
    /// &lt;/domain&gt;
    /// </code>
    /// No graphics element: libvirt has no 'none' type, and a headless server VM needs none; the console is a pty.
    /// </summary>
    /// <exception cref="ArgumentException">the spec breaks an invariant RequestSpecs guarantees (vCPUs or memory above their maxima, zero vCPUs).</exception>
    public static string Build(DomainSpec spec, HostFlavor flavor)
    {
        ArgumentException.ThrowIfNullOrEmpty(spec.Name);
        if (spec.Vcpus == 0 || spec.Vcpus > spec.MaxVcpus)
            throw new ArgumentException($"vcpus {spec.Vcpus} must be 1 to max-vcpus {spec.MaxVcpus}", nameof(spec));
        if (spec.MemoryKib == 0 || spec.MemoryKib > spec.MaxMemoryKib)
            throw new ArgumentException($"memory {spec.MemoryKib} KiB must be 1 to max-memory {spec.MaxMemoryKib} KiB", nameof(spec));

        return XmlText.Write(w =>
        {
            w.WriteStartElement("domain");
            w.WriteAttributeString("type", flavor.DomainType);

            XmlText.Element(w, "name", spec.Name);
            if (spec.Uuid != Guid.Empty) XmlText.Element(w, "uuid", spec.Uuid.ToString("D"));

            w.WriteStartElement("metadata");
            Metadata.Write(w, spec.OwnedVolumes, spec.Ha);
            w.WriteEndElement();

            // <memory> is the ceiling the balloon can be raised to while running; <currentMemory> is what the guest gets now.
            XmlText.Scaled(w, "memory", "KiB", spec.MaxMemoryKib);
            XmlText.Scaled(w, "currentMemory", "KiB", spec.MemoryKib);

            // Every vCPU up to the maximum exists from the start, the ones past current offline, so add-cpu can bring them online live.
            w.WriteStartElement("vcpu");
            w.WriteAttributeString("placement", "static");
            w.WriteAttributeString("current", XmlText.Number(spec.Vcpus));
            w.WriteString(XmlText.Number(spec.MaxVcpus));
            w.WriteEndElement();

            WriteOs(w, flavor);

            if (flavor.IsQemu)
            {
                // Without ACPI, machine pc refuses hot-plug ("Bus 'pci.0' does not support hotplugging") and graceful stop.
                w.WriteStartElement("features");
                w.WriteStartElement("acpi");
                w.WriteEndElement();
                w.WriteStartElement("apic");
                w.WriteEndElement();
                w.WriteEndElement();
            }

            w.WriteStartElement("devices");
            if (!string.IsNullOrEmpty(flavor.Emulator)) XmlText.Element(w, "emulator", flavor.Emulator);
            foreach (var d in spec.Disks) DeviceXml.WriteDisk(w, d);
            foreach (var n in spec.Nics) DeviceXml.WriteNic(w, n);
            w.WriteStartElement("console");
            w.WriteAttributeString("type", "pty");
            w.WriteEndElement();
            w.WriteEndElement();

            w.WriteEndElement();
        });
    }

    private static void WriteOs(XmlWriter w, HostFlavor flavor)
    {
        w.WriteStartElement("os");
        w.WriteStartElement("type");
        w.WriteAttributeString("arch", flavor.Arch);
        if (!string.IsNullOrEmpty(flavor.Machine)) w.WriteAttributeString("machine", flavor.Machine);
        w.WriteString("hvm");
        w.WriteEndElement();
        w.WriteStartElement("boot");
        w.WriteAttributeString("dev", "hd");
        w.WriteEndElement();
        w.WriteEndElement();
    }
}
