// snapshot: create, revert, delete and list (spec §8.1, §8.7).
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Libvirt;

internal sealed partial class LibvirtHypervisor
{
    private static Outcome Snapshot(LibvirtSession s, RequestPdu r)
    {
        ulong op = r.Parameters.Number(AttrType.SnapshotOp) ?? (ulong)SnapshotOp.Create;
        if (op > (ulong)SnapshotOp.List)
            throw new SpecException($"snapshot-op {op} is not one of create (0), revert (1), delete (2), list (3)");
        using var dom = Domain(s, r.Vm);
        if (op == (ulong)SnapshotOp.List)
        {
            var results = new AttrList();
            foreach (var name in LibvirtApi.ListSnapshotNames(dom)) results.Add(AttrType.SnapshotName, name);
            return Outcome.Success(r.Vm, results);
        }

        string snapshot = Parameters.RequiredText(r.Parameters, AttrType.SnapshotName, "snapshot-name", $"the snapshot to {(SnapshotOp)op switch { SnapshotOp.Create => "create", SnapshotOp.Revert => "revert to", _ => "delete" }}");
        switch ((SnapshotOp)op)
        {
            case SnapshotOp.Create:
                using (LibvirtApi.CreateSnapshot(dom, SnapshotXml.Create(snapshot))) { }
                break;
            case SnapshotOp.Revert:
                using (var h = Existing(dom, snapshot)) LibvirtApi.RevertToSnapshot(h);
                break;
            default:
                using (var h = Existing(dom, snapshot)) LibvirtApi.DeleteSnapshot(h);
                break;
        }
        return Outcome.Success(r.Vm, new AttrList().Add(AttrType.SnapshotName, snapshot));
    }

    /// <summary>The VM's snapshot <paramref name="name"/>; one it does not have is not-found, naming both.</summary>
    private static SnapshotHandle Existing(DomainHandle dom, string name) =>
        LibvirtApi.LookupSnapshot(dom, name)
        ?? throw new HypervisorException(AckCode.NotFound, ErrorNumber.NoDomainSnapshot, $"snapshot-name: VM {LibvirtApi.GetName(dom)} has no snapshot named {name}");
}
