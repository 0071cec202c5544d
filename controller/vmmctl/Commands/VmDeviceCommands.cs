using Vmm.Ctl.Input;
using Vmm.Ctl.Output;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Ctl.Commands;

/// <summary>
/// vmmctl vm nic, memory, cpu and disk: the requests that change a VM's devices (spec §8.1), live when the
/// VM runs and in its persistent definition.
/// </summary>
internal static class VmDeviceCommands
{
    public static readonly Verb[] Verbs =
    [
        new("nic add", "vmmctl vm nic add VM --network N|--bridge B [--model M] [--mac MAC]",
            "Attaches a NIC on libvirt network N or host bridge B. Model: virtio (default), e1000, e1000e,\nrtl8139; without --mac the hypervisor generates one.",
            ["--network N", "--bridge B", "--model M", "--mac MAC"], NicAdd),
        new("nic remove", "vmmctl vm nic remove VM --mac MAC", "Detaches the NIC with that MAC address.", ["--mac MAC"], NicRemove),
        new("memory set", "vmmctl vm memory set VM SIZE",
            "Sets the VM's memory: live up to its maximum when it runs, and in its definition.", [], MemorySet),
        new("cpu add", "vmmctl vm cpu add VM [N]", "Brings N more vCPUs online (default 1), up to the VM's maximum.", [], call => Cpu(call, RequestCode.AddCpu)),
        new("cpu remove", "vmmctl vm cpu remove VM [N]", "Takes N vCPUs offline (default 1); at least one stays.", [], call => Cpu(call, RequestCode.RemoveCpu)),
        new("cpu set", "vmmctl vm cpu set VM N",
            "Gives the VM N vCPUs: adds or removes the difference from what the controller reports now.\n" +
            "It prints the request it sent (cpu add or cpu remove) with its id: to send that request again after\n" +
            "a timeout, give the id to that command (vmmctl vm cpu add VM COUNT --request-id ID).", [], CpuSet),
        new("disk add", "vmmctl vm disk add VM SIZE|base=IMAGE[,...] [--bus B] [--target T]",
            $"Attaches a new disk: {DiskSpec.Syntax}\n(see vmmctl vm create --help). Without --target the next free vdX is used.",
            ["--bus B", "--target T"], DiskAdd),
        new("disk resize", "vmmctl vm disk resize VM TARGET SIZE", "Grows disk TARGET (vda, vdb...) to SIZE.", [], DiskResize),
        new("disk remove", "vmmctl vm disk remove VM TARGET", "Detaches disk TARGET; its volume is kept.", [], DiskRemove),
    ];

    private static int NicAdd(Call call)
    {
        string vm = call.Operands(1, 1)[0];
        var a = call.Args;
        var nic = new NicSpec(null, null, null, null)
            .With(network: a.Value("--network"), bridge: a.Value("--bridge"), model: a.Value("--model"), mac: a.Value("--mac"))
            .Checked();
        var parameters = VmCommand.Ref(call, vm).Add(AttrType.NicSpec, nic.ToAttributes());
        return call.Submit(RequestCode.AddNic, $"nic add {vm}", parameters, r => $"added a NIC to {vm}{VmCommand.On(r)}");
    }

    private static int NicRemove(Call call)
    {
        string vm = call.Operands(1, 1)[0];
        ulong mac = Checks.Mac(call.Required("--mac"));
        var parameters = VmCommand.Ref(call, vm).Add(AttrType.Mac, mac);
        return call.Submit(RequestCode.RemoveNic, $"nic remove {vm}", parameters, r => $"removed NIC {Human.Mac(mac)} from {vm}{VmCommand.On(r)}");
    }

    private static int MemorySet(Call call)
    {
        var operands = call.Operands(2, 2);
        string vm = operands[0];
        ulong kib = Sizes.ParseMemoryKib(operands[1], "memory size");
        var parameters = VmCommand.Ref(call, vm).Add(AttrType.Memory, kib);
        return call.Submit(RequestCode.UpdateMemory, $"memory set {vm}", parameters, r => $"set the memory of {vm} to {SizeText.ExactKib(kib)}{VmCommand.On(r)}");
    }

    private static int Cpu(Call call, RequestCode code)
    {
        var operands = call.Operands(1, 2);
        string vm = operands[0];
        var parameters = VmCommand.Ref(call, vm);
        // Absent, count is 1 (spec §5.3): send it only when the operator gave one.
        ushort? count = operands.Count == 2 ? Sizes.ParseCount(operands[1], "vCPU count") : null;
        if (count is { } n) parameters.Add(AttrType.Count, n);
        string verb = code == RequestCode.AddCpu ? "add" : "remove";
        string done = code == RequestCode.AddCpu ? "brought online" : "took offline";
        return call.Submit(code, $"cpu {verb} {vm}", parameters, r => $"{done} {count ?? 1} vCPU(s) of {vm}{VmCommand.On(r)}");
    }

    private static int CpuSet(Call call)
    {
        var operands = call.Operands(2, 2);
        string vm = operands[0];
        ushort target = Sizes.ParseCount(operands[1], "vCPU count");
        string action = $"cpu set {vm}";
        var current = VmCommand.Find(call, vm, action);
        int difference = target - current.Vm.Vcpus;
        // The host would refuse these too, but in terms of the difference it was asked for ("count 5");
        // the operator typed a total, so the refusal names the total. A record without max-vcpus has it equal to vcpus.
        ulong max = current.Vm.Attributes.Number(AttrType.MaxVcpus) ?? current.Vm.Vcpus;
        if (target > max)
            return Cli.Fail($"{action}: cannot set {vm} to {target} vCPUs: at most {max} (max-vcpus, fixed when it was created)");
        if (difference == 0)
        {
            // Nothing to ask of the host; a script still gets a success document, with changed false.
            var unchanged = new AttrList().Add(AttrType.AckFlags, (ulong)AckFlags.Unchanged);
            return call.Report(new AdminResultPdu { Code = AckCode.Success, Vm = current.Vm.Uuid, Attributes = unchanged }, action,
                _ => $"{vm} has {target} vCPUs already");
        }
        // Name the VM by the uuid just resolved, so that the request reaches the VM that was counted.
        var parameters = VmCommand.Ref(call, current.Vm.Uuid.ToString()).Add(AttrType.Count, (ulong)Math.Abs(difference));
        var code = difference > 0 ? RequestCode.AddCpu : RequestCode.RemoveCpu;
        // The action names the request actually sent, so that a timeout says what to send again.
        string sent = $"{action} (cpu {(difference > 0 ? "add" : "remove")} {vm} {Math.Abs(difference)})";
        return call.Submit(code, sent, parameters, r => $"{vm} has {target} vCPUs (was {current.Vm.Vcpus}){VmCommand.On(r)}");
    }

    private static int DiskAdd(Call call)
    {
        var operands = call.Operands(2, 2);
        string vm = operands[0];
        var disk = DiskSpec.Parse(operands[1]);
        if (call.Args.Value("--bus") is { } bus) disk = disk.WithBus(bus);
        if (call.Args.Value("--target") is { } target) disk = disk.WithTarget(target);
        var parameters = VmCommand.Ref(call, vm).Add(AttrType.DiskSpec, disk.ToAttributes()).Add(AttrType.DiskOp, (ulong)DiskOp.Attach);
        return call.Submit(RequestCode.UpdateDisk, $"disk add {vm}", parameters, r => $"attached a disk to {vm}{VmCommand.On(r)}");
    }

    private static int DiskResize(Call call)
    {
        var operands = call.Operands(3, 3);
        string vm = operands[0];
        string target = Checks.Name(operands[1], "disk target", 32);
        ulong size = Sizes.ParseBytes(operands[2], "disk size");
        var parameters = VmCommand.Ref(call, vm).Add(AttrType.DiskOp, (ulong)DiskOp.Resize).Add(AttrType.Target, target).Add(AttrType.Size, size);
        return call.Submit(RequestCode.UpdateDisk, $"disk resize {vm} {target}", parameters, r => $"resized {target} of {vm} to {SizeText.Exact(size)}{VmCommand.On(r)}");
    }

    private static int DiskRemove(Call call)
    {
        var operands = call.Operands(2, 2);
        string vm = operands[0];
        string target = Checks.Name(operands[1], "disk target", 32);
        var parameters = VmCommand.Ref(call, vm).Add(AttrType.DiskOp, (ulong)DiskOp.Detach).Add(AttrType.Target, target);
        return call.Submit(RequestCode.UpdateDisk, $"disk remove {vm} {target}", parameters, r => $"detached {target} from {vm}{VmCommand.On(r)}");
    }
}
