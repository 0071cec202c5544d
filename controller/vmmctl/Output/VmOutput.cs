using System.Text.Json;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Ctl.Output;

/// <summary>VM PDUs (spec §7.5) as a table row, a detailed view, a JSON object and a watch line.</summary>
internal static class VmOutput
{
    public static IEnumerable<AdminVmPdu> Sorted(IEnumerable<AdminVmPdu> vms) =>
        vms.OrderBy(v => v.Vm.Name, StringComparer.Ordinal).ThenBy(v => v.Host, StringComparer.Ordinal);

    public static void Table(IEnumerable<AdminVmPdu> vms, TextWriter output)
    {
        var table = new Table("NAME", "UUID", "HOST", "POWER", "VCPUS", "MEMORY", "DISKS", "NICS", "AGE");
        foreach (var v in Sorted(vms))
        {
            var r = v.Vm;
            // A truncated record's device counts are lower bounds (spec §6.2).
            string more = r.Flags.HasFlag(VmFlags.Truncated) ? "+" : "";
            table.Add(Cell(r.Name), r.Uuid.ToString(), v.Host, Power(v), Vcpus(r, "/"), Memory(r, "/"),
                r.Attributes.All(AttrType.Disk).Count() + more, r.Attributes.All(AttrType.Nic).Count() + more,
                Human.Age(v.Attributes.Number(AttrType.AgeMs)));
        }
        table.Write(output);
    }

    /// <summary>vm show: one "key: value" line each, devices one a line under their key.</summary>
    public static void Show(AdminVmPdu v, TextWriter output)
    {
        var r = v.Vm;
        var a = v.Attributes;
        var lines = new List<(string Key, string Value)>
        {
            ("name", r.Name),
            ("uuid", r.Uuid.ToString()),
            ("host", v.Host),
            ("power", r.Power == PowerState.Unknown && a.Number(AttrType.LastPower) is { } last
                ? $"unknown (host silent; last reported {Names.Of((PowerState)last)})"
                : $"{Names.Of(r.Power)} ({Names.Reason(r.Power, r.Reason)})"),
            ("flags", r.Flags == VmFlags.None ? "-" : Names.Of(r.Flags)),
            ("vcpus", Vcpus(r, " max ")),
            ("memory", Memory(r, " max ")),
        };
        var disks = r.Attributes.All(AttrType.Disk).Select(d => d.Disk!).ToList();
        var diskRows = new Table("", "", "", "");
        foreach (var d in disks) diskRows.Add(d.Target, Names.Of(d.Bus), Human.Bytes(d.Capacity), d.Flags == DiskFlags.None ? "" : Names.Of(d.Flags));
        AddBlock(lines, "disks", disks.Count, diskRows);
        var nics = r.Attributes.All(AttrType.Nic).Select(n => n.Nic!).ToList();
        var nicRows = new Table("", "", "", "");
        foreach (var n in nics) nicRows.Add(Human.Mac(n.Mac), Names.Of(n.Model), Names.Of(n.Kind), n.Source);
        AddBlock(lines, "nics", nics.Count, nicRows);
        if (r.Flags.HasFlag(VmFlags.Truncated)) lines.Add(("", "(the host left out devices that did not fit its datagram)"));
        lines.Add(("snapshots", Human.Number(r.Attributes.Number(AttrType.Snapshots) ?? 0)));
        lines.Add(("last request", Human.RequestId(r.Attributes.Number(AttrType.LastRequest))));
        lines.Add(("last ack", (a.Number(AttrType.LastAck), a.Number(AttrType.LastCode)) switch
        {
            (null, null) => "-",
            var (ack, code) => $"{(ack is { } k ? Names.Of((AckCode)k) : "-")} ({(code is { } c ? Names.Of((RequestCode)c) : "-")})",
        }));
        lines.Add(("age", Human.Age(a.Number(AttrType.AgeMs))));
        // Usage (spec §16): rates over the controller's two newest samples of the VM; - until there are two.
        var usage = Usage.Of(v);
        if (usage.Any)
        {
            lines.Add(("cpu", usage.CpuPercent is { } cpu ? $"{usage.Cpu} of {r.Vcpus} vCPU{(r.Vcpus == 1 ? "" : "s")}" : "-"));
            lines.Add(("memory used", usage.Memory + (usage.MemBalloonKib is { } b ? $" (balloon {Human.Kib(b)})" : "")));
            lines.Add(("disk", $"read {Usage.PerSecond(usage.DiskReadBps)}, write {Usage.PerSecond(usage.DiskWriteBps)}"));
            lines.Add(("network", $"rx {Usage.PerSecond(usage.NetRxBps)}, tx {Usage.PerSecond(usage.NetTxBps)}"));
        }
        else lines.Add(("usage", "- (none reported yet, or the host sends none: usage-interval)"));

        // Two blanks after the longest key's colon.
        int width = lines.Max(l => l.Key.Length) + 3;
        foreach (var (key, value) in lines)
            output.Write((key.Length == 0 ? new string(' ', width) : (key + ":").PadRight(width)) + value + "\n");
    }

    public static void Document(Utf8JsonWriter w, IEnumerable<AdminVmPdu> vms)
    {
        w.WriteStartObject();
        w.WriteStartArray("vms");
        foreach (var v in Sorted(vms)) Object(w, v);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void Object(Utf8JsonWriter w, AdminVmPdu v)
    {
        var r = v.Vm;
        var ra = r.Attributes;
        var a = v.Attributes;
        w.WriteStartObject();
        w.WriteString("name", r.Name);
        w.WriteString("uuid", r.Uuid.ToString());
        w.WriteString("host", v.Host);
        w.WriteString("power", Names.Of(r.Power));
        w.WriteString("reason", Names.Reason(r.Power, r.Reason));
        w.StringOrNull("last-power", a.Number(AttrType.LastPower) is { } lp ? Names.Of((PowerState)lp) : null);
        Words(w, "flags", r.Flags == VmFlags.None ? "" : Names.Of(r.Flags));
        w.WriteNumber("vcpus", r.Vcpus);
        w.WriteNumber("max-vcpus", ra.Number(AttrType.MaxVcpus) ?? r.Vcpus);
        // Every size in the JSON document is in bytes (the wire carries memory in KiB, disks in bytes).
        w.WriteNumber("memory", r.MemoryKib * 1024);
        w.WriteNumber("max-memory", (ra.Number(AttrType.MaxMemory) ?? r.MemoryKib) * 1024);
        w.WriteStartArray("disks");
        foreach (var d in ra.All(AttrType.Disk).Select(x => x.Disk!))
        {
            w.WriteStartObject();
            w.WriteString("target", d.Target);
            w.WriteString("bus", Names.Of(d.Bus));
            w.WriteNumber("size", d.Capacity);
            Words(w, "flags", d.Flags == DiskFlags.None ? "" : Names.Of(d.Flags));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("nics");
        foreach (var n in ra.All(AttrType.Nic).Select(x => x.Nic!))
        {
            w.WriteStartObject();
            w.WriteString("mac", Human.Mac(n.Mac));
            w.WriteString("model", Names.Of(n.Model));
            w.WriteString("kind", Names.Of(n.Kind));
            w.WriteString("source", n.Source);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("snapshots", ra.Number(AttrType.Snapshots) ?? 0);
        w.Id("last-request", ra.Number(AttrType.LastRequest));
        w.StringOrNull("last-code", a.Number(AttrType.LastCode) is { } lc ? Names.Of((RequestCode)lc) : null);
        w.StringOrNull("last-ack", a.Number(AttrType.LastAck) is { } la ? Names.Of((AckCode)la) : null);
        w.NumberOrNull("age-ms", a.Number(AttrType.AgeMs));
        w.StringOrNull("note", a.Text(AttrType.Note));
        Usage.Of(v).Write(w, a);
        w.WriteEndObject();
    }

    /// <summary>One line of vmmctl watch: the VM's new state, or that it is gone.</summary>
    public static string Line(AdminVmPdu v)
    {
        var r = v.Vm;
        string head = $"vm {Cell(r.Name)} ({r.Uuid}) on {v.Host}";
        if (r.Flags.HasFlag(VmFlags.Tombstone)) return head + ": removed";
        // A decision of the controller about the VM (HA, spec §15): said as it is.
        if (v.Attributes.Text(AttrType.Note) is { } note) return $"{head}: {note}";
        return $"{head}: {Power(v)} vcpus={Vcpus(r, "/")} memory={Memory(r, "/")} " +
               $"disks={r.Attributes.All(AttrType.Disk).Count()} nics={r.Attributes.All(AttrType.Nic).Count()}";
    }

    /// <summary>The power state; while the host is silent, unknown with what it last reported: unknown(running).</summary>
    private static string Power(AdminVmPdu v) =>
        v.Vm.Power == PowerState.Unknown && v.Attributes.Number(AttrType.LastPower) is { } last
            ? $"unknown({Names.Of((PowerState)last)})"
            : Names.Of(v.Vm.Power);

    private static string Vcpus(VmState r, string sep) =>
        r.Attributes.Number(AttrType.MaxVcpus) is { } max && max != r.Vcpus ? $"{r.Vcpus}{sep}{max}" : $"{r.Vcpus}";

    private static string Memory(VmState r, string sep) =>
        r.Attributes.Number(AttrType.MaxMemory) is { } max && max != r.MemoryKib
            ? $"{Human.Kib(r.MemoryKib)}{sep}{Human.Kib(max)}" : Human.Kib(r.MemoryKib);

    private static void AddBlock(List<(string, string)> lines, string key, int count, Table rows)
    {
        if (count == 0)
        {
            lines.Add((key, "-"));
            return;
        }
        var text = new StringWriter();
        rows.Write(text, header: false);
        var rowsText = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToList();
        lines.Add((key, rowsText[0]));
        foreach (var row in rowsText.Skip(1)) lines.Add(("", row));
    }

    private static void Words(Utf8JsonWriter w, string name, string commaSeparated)
    {
        w.WriteStartArray(name);
        foreach (var word in commaSeparated.Split(',', StringSplitOptions.RemoveEmptyEntries)) w.WriteStringValue(word);
        w.WriteEndArray();
    }

    /// <summary>A VM name in a table cell or a line; libvirt allows an empty one for VMs defined outside Vmm.</summary>
    private static string Cell(string name) => name.Length == 0 ? "-" : name;
}
