// What the end-to-end run on real QEMU found (tests/Vmm.E2E.Tests), checked here on the test driver where it can be.
using Vmm.Hostd.Interop;
using Vmm.Hostd.Tests.Support;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Libvirt;

[Trait("Needs", "libvirt")]
public sealed class MigrationAndPoolTests
{
    private static readonly Guid Vm = TestNode.DefaultDomain;

    [Fact]
    public void The_storage_pool_is_ready_as_soon_as_hostd_connects()
    {
        // A migration that copies disks here needs the pool before this host ever created a volume.
        using var node = TestNode.Default();
        using var pool = LibvirtApi.LookupStoragePool(node.Hypervisor.Connection!, node.Options.PoolName);
        Assert.NotNull(pool);
        Assert.True(LibvirtApi.IsStoragePoolActive(pool));
    }

    [Fact]
    public void Migrating_a_vm_with_snapshots_is_refused_before_libvirt_is_asked_and_says_why()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.Snapshot, Vm, new AttrList().Add(AttrType.SnapshotName, "s1"));

        var o = node.Execute(RequestCode.Migrate, Vm, new AttrList().Add(AttrType.DestUri, "qemu+tcp://elsewhere/system"));

        Assert.Equal(AckCode.Failure, o.Code);
        Assert.StartsWith("the VM has 1 snapshot(s), which live migration cannot take along", o.Results.Text(AttrType.Message));
        Assert.Equal(PowerState.Running, node.ReadVm(Vm).Power);
    }
}
