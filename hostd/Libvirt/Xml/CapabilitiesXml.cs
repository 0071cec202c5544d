using System.Xml.Linq;

namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>
/// Picks the domain flavor from virConnectGetCapabilities' XML:
/// <code>
/// &lt;capabilities&gt;
///   &lt;host&gt;&lt;cpu&gt;&lt;arch&gt;x86_64&lt;/arch&gt;...&lt;/cpu&gt;...&lt;/host&gt;
///   &lt;guest&gt;
///     &lt;os_type&gt;hvm&lt;/os_type&gt;
///     &lt;arch name='x86_64'&gt;
///       &lt;emulator&gt;/usr/bin/qemu-system-x86_64&lt;/emulator&gt;
///       &lt;machine canonical='pc-i440fx-7.2' maxCpus='255'&gt;pc&lt;/machine&gt; ...
///       &lt;domain type='qemu'/&gt;
///       &lt;domain type='kvm'/&gt;     (may hold its own emulator and machines)
///     &lt;/arch&gt;
///   &lt;/guest&gt; ...
/// &lt;/capabilities&gt;
/// </code>
/// </summary>
internal static class CapabilitiesXml
{
    private const string What = "capabilities";

    /// <summary>
    /// The hvm guest for the host's own architecture (else x86_64, else the first hvm guest); in it, domain
    /// type kvm when offered, else qemu, else the first offered ("test" on the test driver, whose
    /// <paramref name="connectionType"/>, virConnectGetType's answer, is TEST); that type's emulator; machine
    /// 'pc' when offered, else the first machine that is an alias of a versioned one, else the first.
    /// </summary>
    /// <exception cref="FormatException">the XML is malformed or offers no hvm guest Vmm can define (one line).</exception>
    public static HostFlavor Parse(string capabilitiesXml, string connectionType)
    {
        var root = XmlText.Load(capabilitiesXml, "capabilities", What);
        string? hostArch = root.Element("host")?.Element("cpu")?.Element("arch")?.Value.Trim();

        var hvm = root.Elements("guest")
            .Where(g => g.Element("os_type")?.Value.Trim() == "hvm")
            .Select(g => g.Element("arch"))
            .Where(a => !string.IsNullOrEmpty(XmlText.Attr(a, "name")))
            .Select(a => a!)
            .ToList();
        if (hvm.Count == 0)
            throw new FormatException($"{What}: the host offers no hvm guest (is an emulator such as qemu-system-x86_64 installed?)");

        var arch = hvm.FirstOrDefault(a => XmlText.Attr(a, "name") == hostArch)
            ?? hvm.FirstOrDefault(a => XmlText.Attr(a, "name") == "x86_64")
            ?? hvm[0];
        string archName = XmlText.Attr(arch, "name")!;

        var domains = arch.Elements("domain").Where(d => !string.IsNullOrEmpty(XmlText.Attr(d, "type"))).ToList();
        if (domains.Count == 0)
            throw new FormatException($"{What}: the hvm guest for {Protocol.Validation.Shorten(archName)} offers no domain type");

        string[] preferred = string.Equals(connectionType, "TEST", StringComparison.OrdinalIgnoreCase) ? ["test"] : ["kvm", "qemu"];
        var domain = preferred.Select(t => domains.FirstOrDefault(d => XmlText.Attr(d, "type") == t)).FirstOrDefault(d => d is not null)
            ?? domains[0];

        // A domain element's own emulator and machines override the arch's (older libvirt listed kvm's that way).
        string? emulator = NonEmpty(domain.Element("emulator")?.Value) ?? NonEmpty(arch.Element("emulator")?.Value);
        var machines = domain.Elements("machine").Any() ? domain.Elements("machine") : arch.Elements("machine");

        return new HostFlavor(XmlText.Attr(domain, "type")!, emulator, archName, PickMachine(machines.ToList()));
    }

    private static string PickMachine(List<XElement> machines)
    {
        var names = machines.Select(m => m.Value.Trim()).Where(n => n.Length > 0).ToList();
        if (names.Contains("pc")) return "pc";
        // An alias such as 'virt' or 'q35' names the newest versioned machine, which is what a new VM wants.
        return machines.FirstOrDefault(m => m.Attribute("canonical") is not null && m.Value.Trim().Length > 0)?.Value.Trim()
            ?? names.FirstOrDefault()
            ?? "";
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
