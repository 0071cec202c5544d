using Vmm.Ctl.Input;
using Vmm.Ctl.Output;
using Vmm.Protocol;

namespace Vmm.Ctl.Commands;

/// <summary>vmmctl host: the hosts in the controller's inventory.</summary>
internal static class HostCommand
{
    private const string Help = "Hosts are known from their heartbeats: a host the controller has not heard from is not listed.";

    private static readonly Verb[] All =
    [
        new("list", "vmmctl host list",
            """
            Lists every host the controller hears: its state (up, down, unreachable: up but its hypervisor
            is not, stopped), whether it is marked draining (vmmctl host drain: placement skips it), the
            address its heartbeats come from, its VMs, CPUs and memory, how long ago its newest heartbeat
            arrived, and the boot id of its vmm-hostd.
            """, [], List),
        new("forget", "vmmctl host forget NAME",
            """
            Makes the controller forget host NAME and its VMs at once (a host taken out of service, or a name
            that was a mistake), rather than after forget-after (24h by default) of silence. A host that still
            sends heartbeats is listed again, as new, after its next one. A host pinned by the controller's
            configuration (hosts) is not forgotten: remove the pin instead.
            """, [], Forget),
        new("drain", "vmmctl host drain HOST [--parallel N]",
            """
            Takes host HOST out for maintenance without stopping a VM. The controller marks HOST draining (its
            hostd keeps the mark on disk, so it survives restarts of hostd and of the controller; placement never
            picks a draining host, and host list shows it), then live-migrates every running or paused VM of
            HOST to the other hosts with room (up, not draining; the one with the most free memory first), at
            most N at a time, largest VMs first. A line is printed as each move starts and ends, then a summary.
            Nothing is ever stopped: a VM that finds no host with room, or whose migration fails, keeps running
            on HOST; a VM that is off (or crashed) stays defined on HOST as it is (moving a stopped VM needs
            shared storage; it starts there when the host is back, or move it by hand). Each is listed with the
            reason. HOST stays marked draining until vmmctl host undrain; running drain again moves what is left.
            Ctrl-C leaves the drain running in the controller; vmmctl host undrain HOST ends it (no new move
            starts; moves in flight finish).
              --parallel N    live migrations at once, 1 to 64 (default: the controller's drain-parallel, 2)
            Exit status: 0 when no running VM is left on HOST (VMs that are off may stay); 8 when some found no
            host with room; 1 when a migration failed or HOST was undrained meanwhile; 5 when HOST is being
            drained already. With --json, one document at the end: the host, each VM's outcome, the result.
            """, ["--parallel N"], Drain),
        new("undrain", "vmmctl host undrain HOST",
            """
            Clears the draining mark of HOST: placement may pick it again. VMs moved away by a drain stay where
            they are. A drain of HOST that is still running starts no new move (moves in flight finish).
            """, [], Undrain),
    ];

    public static int Run(string[] argv) => Verbs.Run("host", Help, All, argv);

    private static int Forget(Call call)
    {
        string name = Checks.Name(call.Operands(1, 1)[0], "host");
        var result = call.Controller.Query(QueryKind.ForgetHost, new AttrList().Add(AttrType.Host, name)).Result;
        return call.Report(result, $"host forget {name}", _ => $"host {name} forgotten");
    }

    private static int Drain(Call call)
    {
        string name = Checks.Name(call.Operands(1, 1)[0], "host");
        var filters = new AttrList().Add(AttrType.Host, name);
        if (call.Args.Value("--parallel") is { } p)
        {
            if (!ushort.TryParse(p, out ushort n) || n is < 1 or > 64) throw new UsageException($"--parallel '{p}' is not a number from 1 to 64");
            filters.Add(AttrType.Parallel, n);
        }
        var report = new DrainOutput(name, call.Json ? null : Console.Out);
        var result = call.Controller.Drain(filters, report.Host, report.Vm);
        if (call.Json)
        {
            Json.Write(w => report.Document(w, result));
            return Exit.Of(result.Code);
        }
        return call.Report(result, $"host drain {name}", r => r.Attributes.Text(AttrType.Message) ?? $"host {name} drained", showRequest: false);
    }

    private static int Undrain(Call call)
    {
        string name = Checks.Name(call.Operands(1, 1)[0], "host");
        var result = call.Controller.Query(QueryKind.Undrain, new AttrList().Add(AttrType.Host, name)).Result;
        return call.Report(result, $"host undrain {name}", _ => $"host {name}: draining mark cleared", showRequest: false);
    }

    private static int List(Call call)
    {
        call.Operands(0, 0);
        var reply = call.Query(QueryKind.Hosts, [], "host list");
        if (call.Json) Json.Write(w => HostOutput.Document(w, reply.Hosts));
        else HostOutput.Table(reply.Hosts, Console.Out);
        return Exit.Ok;
    }
}
