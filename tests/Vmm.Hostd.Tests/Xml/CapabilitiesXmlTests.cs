// The domain flavor from virConnectGetCapabilities: kvm over qemu, the host's architecture, machine pc.
using Vmm.Hostd.Libvirt.Xml;

namespace Vmm.Hostd.Tests.Xml;

public sealed class CapabilitiesXmlTests
{
    // Trimmed from virsh capabilities on Debian 12 with qemu-system-x86 7.2 under TCG (no /dev/kvm).
    private const string QemuTcg = """
        <capabilities>
          <host>
            <uuid>4c4c4544-0031-3510-8034-b4c04f4e4d32</uuid>
            <cpu>
              <arch>x86_64</arch>
              <model>Skylake-Client-IBRS</model>
              <vendor>Intel</vendor>
              <topology sockets='1' dies='1' cores='2' threads='1'/>
              <pages unit='KiB' size='4'/>
            </cpu>
            <power_management/>
            <migration_features><live/><uri_transports><uri_transport>tcp</uri_transport></uri_transports></migration_features>
            <secmodel><model>none</model><doi>0</doi></secmodel>
          </host>
          <guest>
            <os_type>hvm</os_type>
            <arch name='i686'>
              <wordsize>32</wordsize>
              <emulator>/usr/bin/qemu-system-i386</emulator>
              <machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>
              <domain type='qemu'/>
            </arch>
          </guest>
          <guest>
            <os_type>hvm</os_type>
            <arch name='x86_64'>
              <wordsize>64</wordsize>
              <emulator>/usr/bin/qemu-system-x86_64</emulator>
              <machine maxCpus='255'>pc-i440fx-7.2</machine>
              <machine maxCpus='288'>pc-q35-7.2</machine>
              <machine canonical='pc-q35-7.2' maxCpus='288'>q35</machine>
              <machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>
              <machine maxCpus='1'>isapc</machine>
              <domain type='qemu'/>
              DOMAINS
            </arch>
            <features><acpi default='on' toggle='yes'/><apic default='on' toggle='no'/></features>
          </guest>
        </capabilities>
        """;

    private const string Aarch64 = """
        <capabilities>
          <host><cpu><arch>aarch64</arch></cpu></host>
          <guest>
            <os_type>hvm</os_type>
            <arch name='aarch64'>
              <emulator>/usr/bin/qemu-system-aarch64</emulator>
              <machine maxCpus='512'>virt-7.2</machine>
              <machine canonical='virt-7.2' maxCpus='512'>virt</machine>
              <domain type='qemu'/>
            </arch>
          </guest>
        </capabilities>
        """;

    [Fact]
    public void Qemu_without_kvm_gives_qemu_on_the_host_arch_with_machine_pc()
    {
        Assert.Equal(new HostFlavor("qemu", "/usr/bin/qemu-system-x86_64", "x86_64", "pc"),
            CapabilitiesXml.Parse(QemuTcg.Replace("DOMAINS", ""), "QEMU"));
    }

    [Fact]
    public void Kvm_is_preferred_and_may_bring_its_own_emulator()
    {
        Assert.Equal(new HostFlavor("kvm", "/usr/bin/qemu-system-x86_64", "x86_64", "pc"),
            CapabilitiesXml.Parse(QemuTcg.Replace("DOMAINS", "<domain type='kvm'/>"), "QEMU"));
        Assert.Equal(new HostFlavor("kvm", "/usr/libexec/qemu-kvm", "x86_64", "pc"),
            CapabilitiesXml.Parse(QemuTcg.Replace("DOMAINS", "<domain type='kvm'><emulator>/usr/libexec/qemu-kvm</emulator></domain>"), "QEMU"));
    }

    [Fact]
    public void Without_pc_the_machine_is_the_first_alias()
    {
        Assert.Equal(new HostFlavor("qemu", "/usr/bin/qemu-system-aarch64", "aarch64", "virt"), CapabilitiesXml.Parse(Aarch64, "QEMU"));
    }

    [Fact]
    [Trait("Needs", "libvirt")]
    public void The_test_drivers_own_capabilities_give_type_test()
    {
        var caps = Support.Virsh.Run("capabilities");

        Assert.Equal(new HostFlavor("test", "/usr/bin/test-hv", "i686", ""), CapabilitiesXml.Parse(caps, "TEST"));
    }

    [Theory]
    [InlineData("<capabilities><host/></capabilities>", "capabilities: the host offers no hvm guest (is an emulator such as qemu-system-x86_64 installed?)")]
    [InlineData("<capabilities><guest><os_type>xen</os_type><arch name='x86_64'><domain type='xen'/></arch></guest></capabilities>",
        "capabilities: the host offers no hvm guest (is an emulator such as qemu-system-x86_64 installed?)")]
    [InlineData("<capabilities><guest><os_type>hvm</os_type><arch name='x86_64'/></guest></capabilities>",
        "capabilities: the hvm guest for x86_64 offers no domain type")]
    [InlineData("<domain/>", "capabilities: the root element is <domain>, not <capabilities>")]
    public void Unusable_capabilities_are_one_line(string xml, string message)
    {
        Assert.Equal(message, Assert.Throws<FormatException>(() => CapabilitiesXml.Parse(xml, "QEMU")).Message);
    }
}
