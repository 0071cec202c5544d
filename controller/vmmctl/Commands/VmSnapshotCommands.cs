using Vmm.Ctl.Input;
using Vmm.Protocol;

namespace Vmm.Ctl.Commands;

/// <summary>vmmctl vm snapshot: the snapshot request (spec §8.1) and its four operations (§8.7).</summary>
internal static class VmSnapshotCommands
{
    public static readonly Verb[] Verbs =
    [
        Named("create", SnapshotOp.Create, "created snapshot", "Takes a snapshot of the VM named NAME."),
        new("snapshot list", "vmmctl vm snapshot list VM", "Prints the names of the VM's snapshots, one a line.", [], List),
        Named("revert", SnapshotOp.Revert, "reverted to snapshot", "Returns the VM to snapshot NAME."),
        Named("delete", SnapshotOp.Delete, "deleted snapshot", "Deletes snapshot NAME; the VM is not changed."),
    ];

    private static Verb Named(string word, SnapshotOp op, string done, string help) =>
        new($"snapshot {word}", $"vmmctl vm snapshot {word} VM NAME", help, [], call =>
        {
            var operands = call.Operands(2, 2);
            string vm = operands[0], name = Checks.Name(operands[1], "snapshot name");
            var parameters = VmCommand.Ref(call, vm).Add(AttrType.SnapshotName, name).Add(AttrType.SnapshotOp, (ulong)op);
            return call.Submit(RequestCode.Snapshot, $"snapshot {word} {vm} {name}", parameters, r => $"{done} {name} of {vm}{VmCommand.On(r)}");
        });

    private static int List(Call call)
    {
        string vm = call.Operands(1, 1)[0];
        var parameters = VmCommand.Ref(call, vm).Add(AttrType.SnapshotOp, (ulong)SnapshotOp.List);
        return call.Submit(RequestCode.Snapshot, $"snapshot list {vm}", parameters,
            r => r.Attributes.All(AttrType.SnapshotName).Any() ? string.Join('\n', r.Attributes.All(AttrType.SnapshotName).Select(s => s.Text)) : null,
            showRequest: false);
    }
}
