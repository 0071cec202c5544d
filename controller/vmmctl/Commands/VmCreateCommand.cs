using Vmm.Ctl.Input;
using Vmm.Protocol;

namespace Vmm.Ctl.Commands;

/// <summary>vmmctl vm create: the add request (spec §8.1), with its disks and NICs.</summary>
internal static class VmCreateCommand
{
    public static readonly Verb[] Verbs =
    [
        new("create",
            "vmmctl vm create --name N [--vcpus N] [--max-vcpus N] [--memory SIZE] [--max-memory SIZE] [--disk DISK]... [--nic NIC]... [--ha] [--host H [--force]]",
            $"""
            Defines a new persistent VM (not started). Without --host the controller places it on a host
            with room. Unset values are the host's defaults; a maximum lets the VM grow while running.
              --disk DISK   {DiskSpec.Syntax}
                            a new volume of SIZE, or a copy-on-write overlay on IMAGE (an absolute path
                            on the host; of IMAGE's size unless SIZE is given); bus: virtio (default),
                            scsi, sata, ide, usb; target: vda, vdb...
              --nic NIC     {NicSpec.Syntax}
                            model: virtio (default), e1000, e1000e, rtl8139; mac: 52:54:00:12:34:56
              --ha          mark the VM HA: restarted on another host when its host goes down
                            (vmmctl vm ha changes it later; its disks must be on shared storage)
            A draining host (vmmctl host drain) named by --host is refused, exit 1, unless --force.
            An IMAGE or network the host does not have exits 7 (not found), and nothing is created.
            Both repeat, in the guest's device order. Example:
              vmmctl vm create --name web-02 --vcpus 2 --memory 2G --disk 20G --nic network=default
            """,
            ["--name N", "--vcpus N", "--max-vcpus N", "--memory SIZE", "--max-memory SIZE", "--disk DISK", "--nic NIC", "--ha", "--host H", "--force"],
            Create),
    ];

    private static int Create(Call call)
    {
        call.Operands(0, 0);
        var args = call.Args;
        string name = Checks.Name(call.Required("--name"), "VM name");
        var parameters = new AttrList().Add(AttrType.Name, name);

        ushort? vcpus = args.Value("--vcpus") is { } v ? Sizes.ParseCount(v, "--vcpus") : null;
        ushort? maxVcpus = args.Value("--max-vcpus") is { } mv ? Sizes.ParseCount(mv, "--max-vcpus") : null;
        if (vcpus > maxVcpus) throw new UsageException($"--vcpus {vcpus} is more than --max-vcpus {maxVcpus}");
        ulong? memory = args.Value("--memory") is { } m ? Sizes.ParseMemoryKib(m, "--memory") : null;
        ulong? maxMemory = args.Value("--max-memory") is { } mm ? Sizes.ParseMemoryKib(mm, "--max-memory") : null;
        if (memory > maxMemory) throw new UsageException($"--memory {args.Value("--memory")} is more than --max-memory {args.Value("--max-memory")}");

        if (vcpus is { } vc) parameters.Add(AttrType.Vcpus, vc);
        if (maxVcpus is { } mvc) parameters.Add(AttrType.MaxVcpus, mvc);
        if (memory is { } mem) parameters.Add(AttrType.Memory, mem);
        if (maxMemory is { } mmem) parameters.Add(AttrType.MaxMemory, mmem);
        foreach (var disk in args.All("--disk")) parameters.Add(AttrType.DiskSpec, DiskSpec.Parse(disk).ToAttributes());
        foreach (var nic in args.All("--nic")) parameters.Add(AttrType.NicSpec, NicSpec.Parse(nic).ToAttributes());
        if (args.Has("--ha")) parameters.Add(AttrType.Ha, 1);
        if (args.Value("--host") is { } host) parameters.Add(AttrType.Host, Checks.Name(host, "host"));
        else if (args.Has("--force")) throw new UsageException("--force goes with --host: it lets a VM be created on a draining host");

        // force: the host named may be draining (spec §7.4); hostd takes no force for an add.
        var flags = args.Has("--force") ? RequestFlags.Force : RequestFlags.None;
        return call.Submit(RequestCode.Add, $"create {name}", parameters, r => $"created {name} ({r.Vm}){VmCommand.On(r)}", flags);
    }
}
