using Vmm.Ctl.Input;
using Vmm.Ctl.Output;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Ctl.Commands;

/// <summary>vmmctl events: the controller's event history (QUERY events, spec §7.7), and with --follow what comes next.</summary>
internal static class EventsCommand
{
    private static readonly Verb[] All =
    [
        new("", "vmmctl events [--host H] [--vm V] [--since T] [--after ID] [--follow]",
            """
            Prints the controller's recent history, oldest first: host transitions, VM changes, every request
            with its origin (the uid of the vmmctl that sent it, also for a drain's moves; controller for its
            own: HA restarts), outcome and duration, and the controller's decisions (HA, drain steps, fencing). The history
            is in the controller's memory only, its last max-events events: a controller restart loses it all.
              --host H      only the events of host H
              --vm V        only the events of VM V (a name or a uuid)
              --since T     only events of the last T (30s, 10m, 2h, 1d) or since T (2026-12-03T06:00:00Z)
              --after ID    only events after the one of id ID (the first column)
              --follow      then print each new event as it happens, until Ctrl-C (exit 0) or the
                            controller ends it (exit 8 when this client fell too far behind)
            With --json, one document {"events": [...]}; with --follow, one JSON object a line instead.
            """, ["--host H", "--vm V", "--since T", "--after ID", "--follow"], Run),
    ];

    public static int Run(string[] argv) => Verbs.Run("events", "", All, argv);

    private static int Run(Call call)
    {
        call.Operands(0, 0);
        var filters = Filters(call.Args, DateTimeOffset.UtcNow);
        bool follow = call.Args.Has("--follow");
        var events = new List<AdminEventPdu>();
        var table = new EventTable(Console.Out);
        Action<AdminEventPdu> each = (follow, call.Json) switch
        {
            (false, _) => events.Add,
            (true, true) => e => Json.Write(w => EventOutput.Object(w, e), oneLine: true),
            (true, false) => table.Write,
        };
        var result = call.Controller.Events(filters, each);
        if (result is null)
        {
            if (follow) return Exit.Ok;
            throw new Admin.AdminException(Exit.Unreachable,
                $"controller unreachable: the controller at {call.Controller.SocketPath} closed the connection before it answered; try again");
        }
        if (result.Code != AckCode.Success)
        {
            if (call.Json && !follow) Json.Write(w => ResultOutput.Document(w, result));
            return Cli.Fail(Exit.Of(result.Code), ResultOutput.Failure(result, "events"));
        }
        if (call.Json) Json.Write(w => EventOutput.Document(w, events, result));
        else if (!follow) EventOutput.Table(events, Console.Out);
        return Exit.Ok;
    }

    /// <summary>The QUERY's filters from the options, <paramref name="now"/> being when --since T's instant is counted back from.</summary>
    internal static AttrList Filters(Args args, DateTimeOffset now)
    {
        var filters = new AttrList();
        // In type order (host 0x50, ref 0x51, since-ms 0x6B, ...), as the text form writes them.
        if (args.Value("--host") is { } host) filters.Add(AttrType.Host, Checks.Name(host, "host"));
        if (args.Value("--vm") is { } vm) filters.Add(AttrType.Ref, Checks.Ref(vm));
        // Critical: a controller that does not know them refuses rather than answering with everything.
        if (args.Value("--since") is { } since)
            filters.Add(new Attr { Type = AttrType.SinceMs, Critical = true, Number = Since.Ms(since, now) });
        if (args.Value("--after") is { } after)
            filters.Add(new Attr { Type = AttrType.AfterEvent, Critical = true, Number = ulong.TryParse(after, System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : throw new UsageException($"--after '{Validation.Shorten(after)}' is not an event id (a number from the first column)") });
        if (args.Has("--follow")) filters.Add(new Attr { Type = AttrType.Follow, Critical = true, Number = 1 });
        return filters;
    }
}
