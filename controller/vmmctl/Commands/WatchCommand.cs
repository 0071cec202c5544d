using Vmm.Ctl.Input;
using Vmm.Ctl.Output;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Ctl.Commands;

/// <summary>vmmctl watch: every change the controller applies, as it applies it (QUERY watch, spec §7.4).</summary>
internal static class WatchCommand
{
    private static readonly Verb[] All =
    [
        new("", "vmmctl watch [--host H]",
            """
            Prints one line for every change the controller applies to a host or a VM, as it happens, until
            the controller closes the connection (exit 0) or Ctrl-C. A line starts with the local time; a VM
            that is gone is shown as removed. With --json, one JSON object a line: {"time": ..., "host": {...}}
            or {"time": ..., "vm": {...}}, with the objects of vmmctl host list and vm list.
              --host H    only the changes of host H and its VMs
            """, ["--host H"], Run),
    ];

    public static int Run(string[] argv) => Verbs.Run("watch", "", All, argv);

    private static int Run(Call call)
    {
        call.Operands(0, 0);
        var filters = new AttrList();
        if (call.Args.Value("--host") is { } host) filters.Add(AttrType.Host, Checks.Name(host, "host"));
        var result = call.Controller.Watch(filters, change => Print(change, call.Json));
        // The controller closed the watch: it is stopping, or dropped this client. Nothing went wrong here.
        if (result is null) return Exit.Ok;
        return call.Report(result, "watch", _ => null);
    }

    private static void Print(Pdu change, bool json)
    {
        var now = DateTimeOffset.Now;
        if (json)
        {
            Json.Write(w =>
            {
                w.WriteStartObject();
                w.WriteString("time", now.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture));
                switch (change)
                {
                    case AdminHostPdu host:
                        w.WritePropertyName("host");
                        HostOutput.Object(w, host);
                        break;
                    case AdminVmPdu vm:
                        w.WritePropertyName("vm");
                        VmOutput.Object(w, vm);
                        break;
                }
                w.WriteEndObject();
            }, oneLine: true);
            return;
        }
        string line = change switch
        {
            AdminHostPdu host => HostOutput.Line(host),
            AdminVmPdu vm => VmOutput.Line(vm),
            _ => throw new InvalidOperationException($"a watch hands on HOST and VM PDUs only, not {change.Type}"),
        };
        Console.Out.Write($"{now:HH:mm:ss} {line}\n");
    }
}
