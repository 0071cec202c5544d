using System.Text.Json;
using Vmm.Ctl.Input;
using Vmm.Ctl.Output;
using Vmm.Protocol;

namespace Vmm.Ctl.Commands;

/// <summary>vmmctl watch: every change the controller applies, as it applies it (QUERY watch, spec §7.4).</summary>
internal static class WatchCommand
{
    private static readonly Verb[] All =
    [
        new("", "vmmctl watch [--host H]",
            """
            Prints one line for every change the controller applies to a host or a VM, as it happens, until
            the controller closes the connection (exit 0) or Ctrl-C. A line starts with the time (UTC); a VM
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
        var result = call.Json
            ? call.Controller.Watch(filters, h => JsonLine("host", w => HostOutput.Object(w, h)), v => JsonLine("vm", w => VmOutput.Object(w, v)))
            : call.Controller.Watch(filters, h => Line(HostOutput.Line(h)), v => Line(VmOutput.Line(v)));
        // The controller closed the watch: it is stopping, or dropped this client. Nothing went wrong here.
        if (result is null) return Exit.Ok;
        return call.Report(result, "watch", _ => null);
    }

    // UTC, formatted by hand: lines from several machines compare as they are, and local time would link the
    // time zone and date format code into the binary (about a fifth of what the controller commands add).
    private static void Line(string change)
    {
        var t = DateTime.UtcNow;
        Console.Out.Write($"{t.Hour:d2}:{t.Minute:d2}:{t.Second:d2}Z {change}\n");
    }

    private static void JsonLine(string kind, Action<Utf8JsonWriter> change) => Json.Write(w =>
    {
        var t = DateTime.UtcNow;
        w.WriteStartObject();
        w.WriteString("time", $"{t.Year:d4}-{t.Month:d2}-{t.Day:d2}T{t.Hour:d2}:{t.Minute:d2}:{t.Second:d2}.{t.Millisecond:d3}Z");
        w.WritePropertyName(kind);
        change(w);
        w.WriteEndObject();
    }, oneLine: true);
}
