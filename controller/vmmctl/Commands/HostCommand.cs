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
            is not, stopped), the address its heartbeats come from, its VMs, CPUs and memory, how long ago
            its newest heartbeat arrived, and the boot id of its vmm-hostd.
            """, [], List),
        new("forget", "vmmctl host forget NAME",
            """
            Makes the controller forget host NAME and its VMs at once (a host taken out of service, or a name
            that was a mistake), rather than after forget-after (24h by default) of silence. A host that still
            sends heartbeats is listed again, as new, after its next one. A host pinned by the controller's
            configuration (hosts) is not forgotten: remove the pin instead.
            """, [], Forget),
    ];

    public static int Run(string[] argv) => Verbs.Run("host", Help, All, argv);

    private static int Forget(Call call)
    {
        string name = Checks.Name(call.Operands(1, 1)[0], "host");
        var result = call.Controller.Query(QueryKind.ForgetHost, new AttrList().Add(AttrType.Host, name)).Result;
        return call.Report(result, $"host forget {name}", _ => $"host {name} forgotten");
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
