using System.Globalization;
using System.Text.Json;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Ctl.Output;

/// <summary>EVENT PDUs (spec §7.7) as table rows, follow lines and JSON objects.</summary>
internal static class EventOutput
{
    public static readonly string[] Headers = ["ID", "TIME", "KIND", "HOST", "VM", "ORIGIN", "WHAT", "RESULT", "DURATION", "NOTE"];

    public static void Table(IEnumerable<AdminEventPdu> events, TextWriter output)
    {
        var table = new Table(Headers);
        foreach (var e in events) table.Add(Row(e));
        table.Write(output);
    }

    /// <summary>The cells of one event: what it is, for people ("-" where the kind has nothing to say).</summary>
    public static string[] Row(AdminEventPdu e)
    {
        var a = e.Attributes;
        string vm = a.Text(AttrType.Name) ?? (e.Vm == Guid.Empty ? "-" : e.Vm.ToString());
        string what = e.Kind switch
        {
            EventKind.Host => a.Number(AttrType.HostState) is { } s ? Names.Of((HostState)s) : "-",
            EventKind.Vm => a.Number(AttrType.LastPower) is { } p ? Names.Of((PowerState)p) : "-",
            EventKind.VmRemoved => "removed",
            EventKind.Request => a.Number(AttrType.LastCode) is { } c ? Names.Of((RequestCode)c) : "-",
            _ => "-",
        };
        string result = e.Kind == EventKind.Request && a.Number(AttrType.LastAck) is { } ack ? Names.Of((AckCode)ack) : "-";
        string duration = e.Kind == EventKind.Request && a.Number(AttrType.DurationUs) is { } us ? Duration(us) : "-";
        string note = a.Text(AttrType.Note) ?? a.Text(AttrType.Message) ?? "-";
        return [e.Id.ToString(CultureInfo.InvariantCulture), Time(e.TimeMs), Names.Of(e.Kind), a.Text(AttrType.Host) ?? "-", vm, Origin(e),
            what, result, duration, note];
    }

    /// <summary>"uid 1000" for an admin caller's request, else "controller".</summary>
    public static string Origin(AdminEventPdu e) =>
        e.Attributes.Number(AttrType.Uid) is { } uid ? $"uid {uid.ToString(CultureInfo.InvariantCulture)}" : "controller";

    /// <summary>UTC, to the ms, formatted by hand (as watch does: no time zone code linked in).</summary>
    public static string Time(ulong ms)
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Min(ms, 253402300799999UL)).UtcDateTime;
        return $"{t.Year:d4}-{t.Month:d2}-{t.Day:d2}T{t.Hour:d2}:{t.Minute:d2}:{t.Second:d2}.{t.Millisecond:d3}Z";
    }

    /// <summary>A request's duration: 850us, 12ms, 1.5s, 3m.</summary>
    public static string Duration(ulong us) => us switch
    {
        < 1_000 => $"{us}us",
        < 1_000_000 => $"{us / 1000}ms",
        < 60_000_000 => (us / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + "s",
        _ => $"{us / 60_000_000}m",
    };

    public static void Document(Utf8JsonWriter w, IEnumerable<AdminEventPdu> events, AdminResultPdu result)
    {
        w.WriteStartObject();
        w.WriteStartArray("events");
        foreach (var e in events) Object(w, e);
        w.WriteEndArray();
        w.StringOrNull("message", result.Attributes.Text(AttrType.Message));
        w.WriteEndObject();
    }

    /// <summary>One event; every key always present, null when the kind has none.</summary>
    public static void Object(Utf8JsonWriter w, AdminEventPdu e)
    {
        var a = e.Attributes;
        w.WriteStartObject();
        w.WriteString("id", e.Id.ToString(CultureInfo.InvariantCulture));
        w.WriteString("time", Time(e.TimeMs));
        w.WriteNumber("time-ms", e.TimeMs);
        w.WriteString("kind", Names.Of(e.Kind));
        w.StringOrNull("host", a.Text(AttrType.Host));
        w.Uuid("uuid", e.Vm);
        w.StringOrNull("name", a.Text(AttrType.Name));
        var uid = a.Number(AttrType.Uid);
        w.WriteString("origin", uid is null ? "controller" : "admin");
        w.NumberOrNull("uid", uid);
        w.StringOrNull("code", a.Number(AttrType.LastCode) is { } c ? Names.Of((RequestCode)c) : null);
        w.StringOrNull("result", a.Number(AttrType.LastAck) is { } ack ? Names.Of((AckCode)ack) : null);
        w.NumberOrNull("duration-us", a.Number(AttrType.DurationUs));
        w.Id("request-id", a.Number(AttrType.RequestId));
        w.StringOrNull("host-state", a.Number(AttrType.HostState) is { } s ? Names.Of((HostState)s) : null);
        w.StringOrNull("power", a.Number(AttrType.LastPower) is { } p ? Names.Of((PowerState)p) : null);
        w.StringOrNull("message", a.Text(AttrType.Message));
        w.StringOrNull("note", a.Text(AttrType.Note));
        w.WriteEndObject();
    }
}

/// <summary>vmmctl events --follow for people: the header, then each event as a line as it comes, in columns wide
/// enough for most (a table cannot be measured before its rows are known).</summary>
internal sealed class EventTable(TextWriter output)
{
    private static readonly int[] Widths = [6, 24, 10, 12, 16, 10, 13, 11, 8];
    private bool _header;

    public void Write(AdminEventPdu e)
    {
        if (!_header)
        {
            _header = true;
            Line(EventOutput.Headers);
        }
        Line(EventOutput.Row(e));
        output.Flush();
    }

    private void Line(string[] cells)
    {
        var line = new System.Text.StringBuilder();
        for (int i = 0; i < cells.Length; i++)
        {
            line.Append(cells[i]);
            if (i < Widths.Length) line.Append(' ', Math.Max(2, Widths[i] - cells[i].Length + 2));
        }
        output.Write(line.ToString().TrimEnd() + "\n");
    }
}
