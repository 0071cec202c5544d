// ReadAll, Read and ReadFacts: what a VM record and the host facts say about the node.
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt;
using Vmm.Hostd.Tests.Support;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Libvirt;

public sealed class StateTests
{
    [Fact]
    [Trait("Needs", "libvirt")]
    public void The_default_node_has_one_running_persistent_vm()
    {
        using var node = TestNode.Default();
        var vm = Assert.Single(node.Hypervisor.ReadAll());
        Assert.Equal(TestNode.DefaultDomain, vm.Uuid);
        Assert.Equal("test", vm.Name);
        Assert.Equal(PowerState.Running, vm.Power);
        Assert.Equal(0, vm.Reason);   // a node file gives no reason; lifecycle tests check the reasons of actions
        Assert.Equal(VmFlags.Persistent, vm.Flags);
        Assert.Equal(2, vm.Vcpus);
        Assert.Equal(2097152ul, vm.MemoryKib);
        Assert.Equal(8388608ul, vm.Attributes.Number(AttrType.MaxMemory));
    }

    [Fact]
    [Trait("Needs", "libvirt")]
    public void A_fixture_node_reports_every_domain_with_its_devices()
    {
        using var node = TestNode.FromFixture();
        var all = node.Hypervisor.ReadAll().ToDictionary(v => v.Uuid);
        Assert.Equal(3, all.Count);

        var web = all[TestNode.Web];
        Assert.Equal(("web", PowerState.Off), (web.Name, web.Power));
        Assert.Equal(2, web.Vcpus);
        Assert.Equal(1048576ul, web.MemoryKib);
        Assert.Equal(4ul, web.Attributes.Number(AttrType.MaxVcpus));
        Assert.Equal(2097152ul, web.Attributes.Number(AttrType.MaxMemory));
        var disks = web.Attributes.All(AttrType.Disk).Select(a => a.Disk!).ToList();
        Assert.Equal(2, disks.Count);
        Assert.Equal(new DiskInfo("vda", DiskBus.Virtio, DiskFlags.Owned, 10737418240), disks[0]);
        // Outside any pool and the VM is off: shown, with an unknown (0) capacity.
        Assert.Equal(new DiskInfo("sda", DiskBus.Sata, DiskFlags.ReadOnly | DiskFlags.Cdrom, 0), disks[1]);
        Assert.Equal(new NicInfo(0x525400aabb01, NicModel.Virtio, NicKind.Network, "default"), web.Attributes.Find(AttrType.Nic)!.Nic);

        // Defined outside Vmm, running, no maxima beyond its current values.
        var db = all[TestNode.Db];
        Assert.Equal(PowerState.Running, db.Power);
        Assert.Null(db.Attributes.Number(AttrType.MaxVcpus));
        Assert.Null(db.Attributes.Number(AttrType.MaxMemory));
        Assert.Empty(db.Attributes.All(AttrType.Disk));
        Assert.Equal(new NicInfo(0x525400aabb02, NicModel.E1000, NicKind.Bridge, "br0"), db.Attributes.Find(AttrType.Nic)!.Nic);

        Assert.Equal(PowerState.Crashed, all[TestNode.Crashy].Power);
    }

    [Fact]
    [Trait("Needs", "libvirt")]
    public void Read_gives_one_vm_or_null()
    {
        using var node = TestNode.FromFixture();
        Assert.Equal("db", node.ReadVm(TestNode.Db).Name);
        Assert.Null(node.Hypervisor.Read(Guid.NewGuid()));
    }

    [Theory]
    [InlineData((int)DomainState.Running, 1, PowerState.Running, 1)]
    [InlineData((int)DomainState.Paused, 1, PowerState.Paused, 1)]
    [InlineData((int)DomainState.Shutoff, 2, PowerState.Off, 2)]          // destroyed
    [InlineData((int)DomainState.Shutoff, 3, PowerState.Crashed, 2)]      // the emulator died: crashed, killed
    [InlineData((int)DomainState.Crashed, 1, PowerState.Crashed, 1)]      // panicked
    [InlineData((int)DomainState.Crashed, 0, PowerState.Crashed, 0)]
    [InlineData((int)DomainState.PmSuspended, 0, PowerState.Suspended, 0)]
    [InlineData(42, 0, PowerState.Unknown, 0)]
    public void Libvirt_states_map_to_power_and_reason(int state, int reason, PowerState power, byte why) =>
        Assert.Equal((power, why), VmReader.Power((DomainState)state, reason));

    [Fact]
    [Trait("Needs", "libvirt")]
    public void Facts_of_the_default_node()
    {
        using var node = TestNode.Shared();
        var facts = node.Hypervisor.ReadFacts();
        Assert.Equal(16ul, facts.Number(AttrType.Cpus));
        Assert.Equal(3145728ul, facts.Number(AttrType.MemoryTotal));
        Assert.Null(facts.Number(AttrType.MemoryFree));   // counted from the VMs by the publisher
        Assert.Matches(@"^TEST \d+\.\d+\.\d+$", facts.Text(AttrType.Hypervisor));
        Assert.Equal($"test+tcp://{System.Net.Dns.GetHostName()}/default", facts.Text(AttrType.MigrationUri));
    }

    [Fact]
    [Trait("Needs", "libvirt")]
    public void A_configured_migration_uri_is_reported_as_it_is()
    {
        using var node = TestNode.Default("qemu+tls://h1.example/system");
        Assert.Equal("qemu+tls://h1.example/system", node.Hypervisor.ReadFacts().Text(AttrType.MigrationUri));
    }

    [Theory]
    [InlineData("qemu:///system", "qemu+tcp://h1/system")]
    [InlineData("qemu+unix:///system?socket=/run/x.sock", "qemu+tcp://h1/system")]
    [InlineData("qemu+tcp://h2/system", "qemu+tcp://h2/system")]
    [InlineData("qemu+ssh://root@h2/system", "qemu+ssh://root@h2/system")]
    [InlineData("test:///default", "test+tcp://h1/default")]
    public void Migration_uri_is_derived_from_the_connection(string uri, string expected) =>
        Assert.Equal(expected, MigrationUris.Derive(uri, "h1"));

    [Theory]
    [InlineData(7002000ul, "7.2.0")]
    [InlineData(9000000ul, "9.0.0")]
    [InlineData(2ul, "0.0.2")]
    public void Versions_read_as_libvirt_encodes_them(ulong v, string text) =>
        Assert.Equal(text, LibvirtHypervisor.VersionText(v));
}
