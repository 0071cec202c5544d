using Vmm.Hostd.Tests.Support;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Libvirt;

[Trait("Needs", "libvirt")]
public sealed class SnapshotRequestTests
{
    private static readonly Guid Vm = TestNode.DefaultDomain;

    private static AttrList Op(SnapshotOp op, string? name = null)
    {
        var p = new AttrList().Add(AttrType.SnapshotOp, (ulong)op);
        if (name is not null) p.Add(AttrType.SnapshotName, name);
        return p;
    }

    [Fact]
    public void Create_list_revert_delete()
    {
        using var node = TestNode.Default();
        node.Succeed(RequestCode.Snapshot, Vm, new AttrList().Add(AttrType.SnapshotName, "before"));   // op absent: create
        node.Succeed(RequestCode.Snapshot, Vm, Op(SnapshotOp.Create, "after"));
        Assert.Equal(2ul, node.ReadVm(Vm).Attributes.Number(AttrType.Snapshots));

        var list = node.Succeed(RequestCode.Snapshot, Vm, Op(SnapshotOp.List));
        Assert.Equal(["after", "before"], list.Results.All(AttrType.SnapshotName).Select(a => a.Text!).Order());

        node.Succeed(RequestCode.Pause, Vm);
        node.Succeed(RequestCode.Snapshot, Vm, Op(SnapshotOp.Revert, "before"));
        Assert.Equal(PowerState.Running, node.ReadVm(Vm).Power);   // taken while running

        node.Succeed(RequestCode.Snapshot, Vm, Op(SnapshotOp.Delete, "before"));
        Assert.Equal(1ul, node.ReadVm(Vm).Attributes.Number(AttrType.Snapshots));
    }

    [Fact]
    public void Missing_name_and_unknown_op_are_named()
    {
        using var node = TestNode.Default();
        Assert.StartsWith("snapshot-name is required", node.Execute(RequestCode.Snapshot, Vm, Op(SnapshotOp.Delete)).Results.Text(AttrType.Message));
        Assert.Equal("snapshot-op 9 is not one of create (0), revert (1), delete (2), list (3)",
            node.Execute(RequestCode.Snapshot, Vm, Op((SnapshotOp)9)).Results.Text(AttrType.Message));
        Assert.Null(node.ReadVm(Vm).Attributes.Number(AttrType.Snapshots));
    }
}
