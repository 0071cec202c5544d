namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>What kind of domain this host defines, read once from its capabilities (<see cref="CapabilitiesXml.Parse"/>).</summary>
/// <param name="DomainType">The domain element's type: kvm, qemu, or test for libvirt's test driver.</param>
/// <param name="Emulator">Path of the emulator binary, or null when the capabilities name none.</param>
/// <param name="Arch">Guest architecture, such as x86_64.</param>
/// <param name="Machine">Machine type, such as pc; empty when the capabilities list none (the test driver),
/// and then the domain XML names none either.</param>
internal sealed record HostFlavor(string DomainType, string? Emulator, string Arch, string Machine)
{
    /// <summary>QEMU in either form: the types that get ACPI (hot-plug on machine pc needs it) and APIC.</summary>
    public bool IsQemu => DomainType is "kvm" or "qemu";
}
