// What the dissector must show for a PDU, field by field, taken from what the codec (protocol/) decodes: the
// header from the bytes, then every fixed field, attribute, VM record, disk and NIC of the decoded model, in wire
// order, under the dissector's field names (spec/wireshark/vmm.lua lists them).
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Wireshark.Tests;

internal static class Repo
{
    /// <summary>The repository root: the nearest folder above the test binaries that holds Vmm.sln.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Vmm.sln"))) return dir.FullName;
            throw new InvalidOperationException($"no Vmm.sln above {AppContext.BaseDirectory}");
        }
    }
}

internal sealed class Expected
{
    private readonly List<(string Name, string Value)> _fields = [];

    private Expected() { }

    /// <summary>The fields of the PDU <paramref name="bytes"/>, which the codec decoded as <paramref name="pdu"/>.</summary>
    public static List<(string Name, string Value)> Fields(byte[] bytes, Pdu pdu)
    {
        var e = new Expected();
        e.Add("vmm.magic", BinaryPrimitives.ReadUInt16BigEndian(bytes));
        e.Add("vmm.version", bytes[2]);
        e.Add("vmm.type", bytes[3]);
        e.Add("vmm.flags", bytes[4]);
        e.Add("vmm.key_id", bytes[5]);
        e.Add("vmm.length", BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(6)));
        switch (pdu)
        {
            case StatePdu s:
                e.Add("vmm.boot_id", s.BootId); e.Add("vmm.sequence", s.Sequence); e.Add("vmm.report", s.Report);
                e.Add("vmm.page", s.Page); e.Add("vmm.pages", s.Pages);
                e.Flags("vmm.status", (byte)s.Status, "vmm.status.unreachable", "vmm.status.stopping", "vmm.status.draining", "vmm.status.fenced");
                e.Name("vmm.host_len", "vmm.host", s.Host);
                e.Add("vmm.facts_len", (ulong)Size(s.Facts));
                e.Attributes(s.Facts);
                foreach (var vm in s.Vms) e.Record(vm);
                break;
            case UsagePdu u:
                e.Add("vmm.boot_id", u.BootId); e.Add("vmm.usage.sampled_ms", u.SampledMs); e.Add("vmm.page", u.Page);
                e.Add("vmm.pages", u.Pages); e.Add("vmm.usage.interval_ms", u.IntervalMs); e.Add("vmm.usage.flags", 0);
                e.Name("vmm.host_len", "vmm.host", u.Host);
                foreach (var vm in u.Vms)
                {
                    e.Add("vmm.usage.vm.length", (ulong)(16 + Size(vm.Attributes)));
                    e.Uuid("vmm.usage.vm.uuid", vm.Uuid);
                    e.Attributes(vm.Attributes);
                }
                break;
            case RequestPdu r:
                e.Add("vmm.request_id", r.RequestId); e.Add("vmm.boot_id", r.BootId); e.Add("vmm.request.code", (byte)r.Code);
                e.Flags("vmm.request.flags", (byte)r.Flags, "vmm.request.flags.force");
                e.Uuid("vmm.uuid", r.Vm);
                e.Attributes(r.Parameters);
                break;
            case AckPdu a:
                e.Add("vmm.request_id", a.RequestId); e.Add("vmm.boot_id", a.BootId); e.Add("vmm.ack.code", (byte)a.Code);
                e.Flags("vmm.ack.flags", (byte)a.Flags, "vmm.ack.flags.replayed", "vmm.ack.flags.unchanged");
                e.Uuid("vmm.uuid", a.Vm);
                e.Attributes(a.Results);
                break;
            case ErrorPdu x:
                e.Add("vmm.error.code", (ushort)x.Code);
                e.Attributes(x.Attributes);
                break;
            case AdminQueryPdu q:
                e.Add("vmm.query.what", (byte)q.What);
                e.Attributes(q.Filters);
                break;
            case AdminSubmitPdu m:
                e.Add("vmm.request.code", (byte)m.Code);
                e.Flags("vmm.request.flags", (byte)m.Flags, "vmm.request.flags.force");
                e.Attributes(m.Parameters);
                break;
            case AdminHostPdu h:
                e.Add("vmm.boot_id", h.BootId); e.Add("vmm.sequence", h.Sequence); e.Add("vmm.host.state", (byte)h.State);
                e.Name("vmm.host_len", "vmm.host", h.Name);
                e.Attributes(h.Attributes);
                break;
            case AdminVmPdu v:
                e.Name("vmm.host_len", "vmm.host", v.Host);
                e.Record(v.Vm);
                e.Attributes(v.Attributes);
                break;
            case AdminResultPdu r:
                e.Add("vmm.ack.code", (byte)r.Code); e.Add("vmm.request_id", r.RequestId); e.Uuid("vmm.uuid", r.Vm);
                e.Attributes(r.Attributes);
                break;
            case AdminEventPdu ev:
                e.Add("vmm.event.id", ev.Id); e.Add("vmm.event.time_ms", ev.TimeMs); e.Add("vmm.event.kind", (byte)ev.Kind); e.Uuid("vmm.uuid", ev.Vm);
                e.Attributes(ev.Attributes);
                break;
            default:
                throw new ArgumentException($"no expectation for {pdu.GetType().Name}", nameof(pdu));
        }
        e.Add("vmm.tag", Convert.ToHexStringLower(bytes.AsSpan(bytes.Length - PduHeader.TagSize)));
        return e._fields;
    }

    /// <summary>Whether tshark's shown value is <paramref name="expected"/>: numbers compare by value (tshark shows some in
    /// hex), byte strings without separators, text exactly.</summary>
    public static bool Same(string expected, string shown)
    {
        if (Number(expected) is { } a && Number(shown) is { } b) return a == b;
        if (expected == shown) return true;
        return IsHex(expected) && string.Equals(expected, shown.Replace(":", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    private static UInt128? Number(string s)
    {
        if (s.StartsWith("0x", StringComparison.Ordinal) && UInt128.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var h)) return h;
        if (s.Length > 0 && s.All(char.IsAsciiDigit) && UInt128.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var d)) return d;
        return null;
    }

    private static bool IsHex(string s) => s.Length % 2 == 0 && s.All(char.IsAsciiHexDigit);

    private void Add(string name, ulong value) => _fields.Add((name, value.ToString(CultureInfo.InvariantCulture)));

    private void Add(string name, string value) => _fields.Add((name, value));

    // bits[i] names bit i; null for a bit without a field of its own (reserved, or another helper's).
    private void Flags(string name, byte value, params string?[] bits)
    {
        Add(name, value);
        for (int i = 0; i < bits.Length; i++)
            if (bits[i] is { } bit) Add(bit, (ulong)((value >> i) & 1));
    }

    private void Name(string lengthName, string name, string value)
    {
        Add(lengthName, (ulong)Encoding.UTF8.GetByteCount(value));
        Add(name, value);
    }

    private void Uuid(string name, Guid g) => Add(name, g.ToString("D"));

    private static string Mac(ulong mac) => string.Join(":", Enumerable.Range(0, 6).Select(i => ((byte)(mac >> (40 - 8 * i))).ToString("x2", CultureInfo.InvariantCulture)));

    // VmRecord (spec §6.2).
    private void Record(VmState vm)
    {
        Add("vmm.vm.length", (ulong)(vm.EncodedSize - 2));
        Uuid("vmm.vm.uuid", vm.Uuid);
        Add("vmm.vm.power", (byte)vm.Power);
        Add("vmm.vm.reason", vm.Reason);
        Flags("vmm.vm.flags", (byte)vm.Flags, "vmm.vm.flags.tombstone", "vmm.vm.flags.persistent", "vmm.vm.flags.autostart", "vmm.vm.flags.truncated", "vmm.vm.flags.ha");
        Add("vmm.vm.vcpus", vm.Vcpus);
        Add("vmm.vm.memory_kib", vm.MemoryKib);
        Name("vmm.vm.name_len", "vmm.vm.name", vm.Name);
        Attributes(vm.Attributes);
    }

    // Attributes (spec §5): type (bits 0-6), critical bit, length, then the value by its kind.
    private void Attributes(AttrList list)
    {
        foreach (var a in list)
        {
            Add("vmm.attr.type", (byte)a.Type);
            Add("vmm.attr.critical", a.Critical ? 1UL : 0UL);
            Add("vmm.attr.length", (ulong)(Size(a) - 3));
            var def = a.Def;
            string field = def is null ? "vmm.attr.value" : "vmm.attr." + def.Name.Replace('-', '_');
            switch (def?.Kind ?? AttrKind.Opaque)
            {
                case AttrKind.U8 or AttrKind.U16 or AttrKind.U32 or AttrKind.U64: Add(field, a.Number); break;
                case AttrKind.Mac: Add(field, Mac(a.Number)); break;
                case AttrKind.Text or AttrKind.Name: Add(field, a.Text!); break;
                case AttrKind.Nested: Attributes(a.Nested!); break;
                case AttrKind.DiskState:
                    Add("vmm.disk.capacity", a.Disk!.Capacity);
                    Add("vmm.disk.bus", (byte)a.Disk.Bus);
                    Flags("vmm.disk.flags", (byte)a.Disk.Flags, "vmm.disk.flags.readonly", "vmm.disk.flags.cdrom", "vmm.disk.flags.owned");
                    Add("vmm.disk.target", a.Disk.Target);
                    break;
                case AttrKind.NicState:
                    Add("vmm.nic.mac", Mac(a.Nic!.Mac));
                    Add("vmm.nic.model", (byte)a.Nic.Model);
                    Add("vmm.nic.kind", (byte)a.Nic.Kind);
                    Add("vmm.nic.source", a.Nic.Source);
                    break;
                default: Add(field, Convert.ToHexStringLower(a.Opaque!.Bytes)); break;
            }
        }
    }

    private static int Size(AttrList list) => list.Sum(Size);

    private static int Size(Attr a) => 3 + (a.Def?.Kind switch
    {
        AttrKind.U8 => 1,
        AttrKind.U16 => 2,
        AttrKind.U32 => 4,
        AttrKind.U64 => 8,
        AttrKind.Mac => 6,
        AttrKind.Text or AttrKind.Name => Encoding.UTF8.GetByteCount(a.Text!),
        AttrKind.Nested => Size(a.Nested!),
        AttrKind.DiskState => 10 + Encoding.UTF8.GetByteCount(a.Disk!.Target),
        AttrKind.NicState => 8 + Encoding.UTF8.GetByteCount(a.Nic!.Source),
        _ => a.Opaque!.Bytes.Length,
    });
}
