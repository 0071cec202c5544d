using System.Text.Json;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Ctl.Output;

/// <summary>HOST PDUs (spec §7.5) as a table row, a JSON object and a watch line.</summary>
internal static class HostOutput
{
    public static IEnumerable<AdminHostPdu> Sorted(IEnumerable<AdminHostPdu> hosts) => hosts.OrderBy(h => h.Name, StringComparer.Ordinal);

    public static void Table(IEnumerable<AdminHostPdu> hosts, TextWriter output)
    {
        var table = new Table("NAME", "STATE", "DRAINING", "ADDRESS", "VMS", "CPUS", "CPU%", "MEM-FREE/TOTAL", "MEM-USED", "AGE", "BOOT");
        foreach (var h in Sorted(hosts))
        {
            var a = h.Attributes;
            var usage = Usage.Of(h);
            table.Add(h.Name, State(h), Draining(h) ? "yes" : "-", a.Text(AttrType.Address) ?? "-", Human.Number(a.Number(AttrType.VmCount)),
                Human.Number(a.Number(AttrType.Cpus)), usage.Cpu, Memory(a), usage.Memory, Human.Age(a.Number(AttrType.AgeMs)), Human.Boot(h.BootId));
        }
        table.Write(output);
    }

    public static void Document(Utf8JsonWriter w, IEnumerable<AdminHostPdu> hosts)
    {
        w.WriteStartObject();
        w.WriteStartArray("hosts");
        foreach (var h in Sorted(hosts)) Object(w, h);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void Object(Utf8JsonWriter w, AdminHostPdu h)
    {
        var a = h.Attributes;
        w.WriteStartObject();
        w.WriteString("name", h.Name);
        w.WriteString("state", Names.Of(h.State));
        w.WriteBoolean("draining", Draining(h));
        w.StringOrNull("boot", h.BootId == 0 ? null : Human.Boot(h.BootId));
        w.WriteNumber("sequence", h.Sequence);
        w.StringOrNull("address", a.Text(AttrType.Address));
        w.NumberOrNull("age-ms", a.Number(AttrType.AgeMs));
        w.NumberOrNull("cpus", a.Number(AttrType.Cpus));
        // In bytes, as every size in vmmctl's JSON (the wire carries KiB).
        w.NumberOrNull("memory-total", a.Number(AttrType.MemoryTotal) * 1024);
        w.NumberOrNull("memory-free", a.Number(AttrType.MemoryFree) * 1024);
        w.NumberOrNull("vm-count", a.Number(AttrType.VmCount));
        w.NumberOrNull("port", a.Number(AttrType.Port));
        w.StringOrNull("hypervisor", a.Text(AttrType.Hypervisor));
        w.StringOrNull("migration-uri", a.Text(AttrType.MigrationUri));
        w.NumberOrNull("accepted", a.Number(AttrType.Accepted));
        w.NumberOrNull("dropped", a.Number(AttrType.Dropped));
        w.WriteBoolean("fenced", Fenced(h));
        w.StringOrNull("note", a.Text(AttrType.Note));
        // Usage of the host's VMs (spec §16): CPU in percent of the host's CPUs, memory in use in bytes.
        var usage = Usage.Of(h);
        if (usage.CpuPercent is { } cpu) w.WriteNumber("cpu-percent", Math.Round(cpu, 2));
        else w.WriteNull("cpu-percent");
        w.NumberOrNull("mem-used", usage.MemUsedKib * 1024);
        w.WriteEndObject();
    }

    /// <summary>One line of vmmctl watch: the host's state and what changes with it.</summary>
    public static string Line(AdminHostPdu h)
    {
        var a = h.Attributes;
        // A decision of the controller about the host (HA, spec §15): said as it is.
        if (a.Text(AttrType.Note) is { } note) return $"host {h.Name}: {note}";
        return $"host {h.Name}: {State(h)}{(Draining(h) ? " draining" : "")} address={a.Text(AttrType.Address) ?? "-"} vms={Human.Number(a.Number(AttrType.VmCount))} " +
               $"cpus={Human.Number(a.Number(AttrType.Cpus))} mem={Memory(a)} boot={Human.Boot(h.BootId)}";
    }

    /// <summary>Whether the host is marked draining (spec §7.5: the draining attribute of HOST).</summary>
    public static bool Draining(AdminHostPdu h) => h.Attributes.Number(AttrType.Draining) is > 0;

    // The host said it fenced itself (its lease lapsed): shown with its state, "up,fenced".
    private static bool Fenced(AdminHostPdu h) => ((HostStatus)(h.Attributes.Number(AttrType.HostStatus) ?? 0)).HasFlag(HostStatus.Fenced);

    private static string State(AdminHostPdu h) => Names.Of(h.State) + (Fenced(h) ? ",fenced" : "");

    private static string Memory(AttrList a) => (a.Number(AttrType.MemoryFree), a.Number(AttrType.MemoryTotal)) switch
    {
        (null, null) => "-",
        var (free, total) => $"{(free is { } f ? Human.Kib(f) : "-")}/{(total is { } t ? Human.Kib(t) : "-")}",
    };
}
