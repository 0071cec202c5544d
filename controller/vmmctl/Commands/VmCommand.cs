using Vmm.Ctl.Admin;
using Vmm.Ctl.Input;
using Vmm.Ctl.Output;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Ctl.Commands;

/// <summary>
/// vmmctl vm: VMs in the controller's inventory, and every request on them. This file holds listing and the
/// power operations; creation, devices and snapshots have their own files.
/// </summary>
internal static class VmCommand
{
    private const string Help = """
        VM is a VM's name or its uuid; the controller finds its host. SIZE has a unit: K, M, G, T (powers
        of 1024) or B, such as 512M or 20G. A request that does not succeed exits with the code of its
        result (see vmmctl --help) and one line on stderr; with --json its result is printed as well.
        """;

    private static readonly Verb[] Basics =
    [
        new("list", "vmmctl vm list [--host H]",
            """
            Lists every VM the controller knows, or the VMs of host H. POWER is unknown while the VM's host
            is silent, with what it last reported in brackets; VCPUS and MEMORY show current/maximum when
            they differ; DISKS and NICS end in + when the host could not fit every device in its report.
            """, ["--host H"], List),
        new("show", "vmmctl vm show VM",
            "Shows one VM in detail: power and reason, vCPUs, memory, disks, NICs, snapshots, and the last\nrequest the host applied and the last answer the controller had.",
            [], Show),
        VmTopCommand.Verb,
        Power("start", RequestCode.Start, "started", "Starts a defined VM."),
        new("stop", "vmmctl vm stop VM [--force] [--timeout DURATION]",
            """
            Shuts the VM down gracefully (ACPI) and waits up to --timeout (default 60s on the host) for it
            to be off. --force alone powers it off at once (destroy, like pulling the plug); --force with
            --timeout shuts it down gracefully first and destroys it if it is still running after that.
            DURATION: 500ms, 30s, 2m; a bare number is seconds.
            """, ["--force", "--timeout DURATION"], Stop),
        Power("restart", RequestCode.Restart, "restarted", "Reboots the guest."),
        Power("pause", RequestCode.Pause, "paused", "Suspends the VM's vCPUs; it stays in memory."),
        Power("resume", RequestCode.Resume, "resumed", "Resumes a paused VM."),
        Destroying("remove", RequestCode.Remove, "removed",
            "Forgets the VM on its host: undefines it with its snapshots. Its disks stay."),
        Destroying("delete", RequestCode.Delete, "deleted",
            "Like remove, and also deletes the disks Vmm created for the VM. Disks Vmm did not create\nare never deleted."),
        new("migrate", "vmmctl vm migrate VM --to HOST [--force]",
            "Live-migrates the VM to HOST (peer to peer); its disks are copied when storage is not shared.\n" +
            "A draining HOST (vmmctl host drain) is refused, exit 1, unless --force.",
            ["--to HOST", "--force"], Migrate),
        new("ha", "vmmctl vm ha VM on|off",
            """
            Marks the VM HA (on) or not (off). The mark is kept in the VM's definition on its host. When the host
            of a running HA VM goes down, the controller that holds the host's lease restarts the VM on another
            host with room, once the host has certainly fenced it (see README, "HA restart"); its disks must be
            on storage the hosts share.
            """, [], Ha),
    ];

    // Every verb that names a VM also takes --host: the VM of that name (or uuid) on that host, which resolves a
    // reference that is ambiguous (one name on two hosts, or a uuid two hosts report during a migration).
    private static readonly Verb[] All =
        [.. new[] { Basics, VmCreateCommand.Verbs, VmDeviceCommands.Verbs, VmSnapshotCommands.Verbs }.SelectMany(v => v).Select(WithHost).Select(WithRequestId)];

    // Every verb that sends a request can send one it sent before, by its id, instead of a new one. Not cpu set,
    // which sends cpu add or cpu remove by what it finds: its id is resent with that verb.
    private static Verb WithRequestId(Verb v) =>
        v.Words is "list" or "show" or "top" or "cpu set" ? v
            : v with
            {
                Usage = v.Usage + " [--request-id ID]",
                Help = v.Help + "\n--request-id ID sends again the request of that id (as a run of vmmctl printed it), not a new one:\n" +
                    "after a timeout (exit 6) it gets that request's answer, and the request is never carried out twice.",
                Options = [.. v.Options, "--request-id ID"],
            };

    private static Verb WithHost(Verb v) =>
        !v.Usage.Contains(" VM", StringComparison.Ordinal) || v.Options.Contains("--host H") ? v
            : v with { Usage = v.Usage + " [--host H]", Options = [.. v.Options, "--host H"] };

    public static int Run(string[] argv) => Verbs.Run("vm", Help, All, argv);

    /// <summary>The ref attribute that names the VM a SUBMIT or QUERY is about (spec §5.3: name or uuid, as text),
    /// and host when --host names the VM's host.</summary>
    public static AttrList Ref(Call call, string vm)
    {
        var attrs = new AttrList().Add(AttrType.Ref, Checks.Ref(vm));
        if (call.Args.Value("--host") is { } host) attrs.Add(AttrType.Host, Checks.Name(host, "host"));
        return attrs;
    }

    /// <summary>The VM named <paramref name="vm"/>, which must be exactly one.</summary>
    public static AdminVmPdu Find(Call call, string vm, string action)
    {
        var reply = call.Query(QueryKind.Vms, Ref(call, vm), action);
        return reply.Vms.Count switch
        {
            1 => reply.Vms[0],
            0 => throw new AdminException(Exit.NotFound, $"{action}: not-found: the controller knows no VM '{Validation.Shorten(vm)}'"),
            var n => throw new AdminException(Exit.Failure,
                $"{action}: '{Validation.Shorten(vm)}' names {n} VMs ({string.Join(", ", reply.Vms.Select(v => $"{v.Vm.Uuid} on {v.Host}"))}); name one by its uuid"),
        };
    }

    private static Verb Power(string word, RequestCode code, string done, string help) =>
        new(word, $"vmmctl vm {word} VM", help, [], call =>
        {
            string vm = call.Operands(1, 1)[0];
            return call.Submit(code, $"{word} {vm}", Ref(call, vm), r => $"{done} {vm}{On(r)}");
        });

    // remove and delete power a running or paused VM off first only when told to (--force): hostd refuses otherwise.
    private static Verb Destroying(string word, RequestCode code, string done, string help) =>
        new(word, $"vmmctl vm {word} VM [--force]",
            help + "\nA running or paused VM is refused unless --force, which powers it off first (destroy).", ["--force"], call =>
        {
            string vm = call.Operands(1, 1)[0];
            var flags = call.Args.Has("--force") ? RequestFlags.Force : RequestFlags.None;
            return call.Submit(code, $"{word} {vm}", Ref(call, vm), r => $"{done} {vm}{On(r)}", flags);
        });

    /// <summary>" on HOST" when the RESULT says where it happened.</summary>
    public static string On(AdminResultPdu r) => r.Attributes.Text(AttrType.Host) is { } host ? $" on {host}" : "";

    private static int List(Call call)
    {
        call.Operands(0, 0);
        var filters = new AttrList();
        if (call.Args.Value("--host") is { } host) filters.Add(AttrType.Host, Checks.Name(host, "host"));
        var reply = call.Query(QueryKind.Vms, filters, "vm list");
        if (call.Json) Json.Write(w => VmOutput.Document(w, reply.Vms));
        else VmOutput.Table(reply.Vms, Console.Out);
        return Exit.Ok;
    }

    private static int Show(Call call)
    {
        string vm = call.Operands(1, 1)[0];
        var reply = call.Query(QueryKind.Vms, Ref(call, vm), $"vm show {vm}");
        if (reply.Vms.Count == 0)
            throw new AdminException(Exit.NotFound, $"vm show {vm}: not-found: the controller knows no VM '{Validation.Shorten(vm)}'");
        if (call.Json)
        {
            Json.Write(w => VmOutput.Document(w, reply.Vms));
            return Exit.Ok;
        }
        // One name may be used on two hosts (VMs defined outside Vmm); show every one.
        bool first = true;
        foreach (var v in VmOutput.Sorted(reply.Vms))
        {
            if (!first) Console.Out.Write("\n");
            VmOutput.Show(v, Console.Out);
            first = false;
        }
        return Exit.Ok;
    }

    private static int Stop(Call call)
    {
        string vm = call.Operands(1, 1)[0];
        var parameters = Ref(call, vm);
        bool force = call.Args.Has("--force");
        if (call.Args.Value("--timeout") is { } timeout) parameters.Add(AttrType.TimeoutMs, Sizes.ParseDurationMs(timeout, "--timeout"));
        // --force alone is an immediate power-off: a graceful wait first would be the default 60 s (spec §8.1).
        else if (force) parameters.Add(AttrType.TimeoutMs, 0UL);
        var flags = force ? RequestFlags.Force : RequestFlags.None;
        return call.Submit(RequestCode.Stop, $"stop {vm}", parameters, r => $"stopped {vm}{On(r)}", flags);
    }

    private static int Ha(Call call)
    {
        var operands = call.Operands(2, 2);
        string vm = operands[0];
        ulong on = operands[1] switch
        {
            "on" => 1,
            "off" => 0,
            var other => throw new UsageException($"vm ha: '{Validation.Shorten(other)}' is not on or off"),
        };
        var parameters = Ref(call, vm).Add(AttrType.Ha, on);
        return call.Submit(RequestCode.SetHa, $"ha {vm}", parameters, r => $"{vm} is {(on == 1 ? "HA" : "not HA")}{On(r)}");
    }

    private static int Migrate(Call call)
    {
        string vm = call.Operands(1, 1)[0];
        string to = Checks.Name(call.Required("--to"), "--to host");
        var parameters = Ref(call, vm).Add(AttrType.DestHost, to);
        // force: the destination may be draining (spec §7.4); hostd takes no force for a migrate.
        var flags = call.Args.Has("--force") ? RequestFlags.Force : RequestFlags.None;
        return call.Submit(RequestCode.Migrate, $"migrate {vm}", parameters, _ => $"migrated {vm} to {to}", flags);
    }
}
