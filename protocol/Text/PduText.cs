using System.Globalization;
using System.Text;
using Vmm.Protocol.Pdus;

namespace Vmm.Protocol.Text;

/// <summary>
/// The canonical one-line text form of every PDU (spec §10), for logs, tests and <c>vmmctl pdu</c>:
/// <c>ack id=42 code=busy</c>. <see cref="Parse"/> of <see cref="Format"/> gives back an equal PDU.
/// </summary>
public static partial class PduText
{
    /// <summary>Formats <paramref name="pdu"/> as one line.</summary>
    public static string Format(Pdu pdu)
    {
        var f = new Fields(new StringBuilder(256));
        f.Sb.Append(pdu.Type.Name());
        switch (pdu)
        {
            case StatePdu s:
                f.Raw("host", s.Host).Hex("boot", s.BootId, always: true).Num("seq", s.Sequence, always: true)
                    .Num("report", s.Report).Num("page", s.Page).Num("pages", s.Pages)
                    .Word("status", Names.Of(s.Status), s.Status != 0).Attrs(s.Facts, StateFields);
                foreach (var vm in s.Vms) f.Open("vm").Record(vm).Close();
                break;
            case RequestPdu r:
                f.Num("id", r.RequestId, always: true).Hex("boot", r.BootId).Word("code", Names.Of(r.Code), true)
                    .Word("flags", Names.Of(r.Flags), r.Flags != 0).Uuid("uuid", r.Vm).Attrs(r.Parameters, ExchangeFields);
                break;
            case AckPdu a:
                f.Num("id", a.RequestId, always: true).Hex("boot", a.BootId).Word("code", Names.Of(a.Code), true)
                    .Word("flags", Names.Of(a.Flags), a.Flags != 0).Uuid("uuid", a.Vm).Attrs(a.Results, ExchangeFields);
                break;
            case UsagePdu u:
                FormatUsage(f, u);
                break;
            case ErrorPdu e:
                f.Word("code", e.Code.Name(), true).Attrs(e.Attributes, ErrorFields);
                break;
            case AdminQueryPdu q:
                f.Word("what", Names.Of(q.What), true).Attrs(q.Filters, QueryFields);
                break;
            case AdminSubmitPdu m:
                f.Word("code", Names.Of(m.Code), true).Word("flags", Names.Of(m.Flags), m.Flags != 0).Attrs(m.Parameters, SubmitFields);
                break;
            case AdminHostPdu h:
                f.Raw("name", h.Name).Hex("boot", h.BootId).Num("seq", h.Sequence).Word("state", Names.Of(h.State), true).Attrs(h.Attributes, HostFields);
                break;
            case AdminVmPdu v:
                f.Raw("host", v.Host).Open("vm").Record(v.Vm).Close().Attrs(v.Attributes, VmFields);
                break;
            case AdminResultPdu r:
                f.Word("code", Names.Of(r.Code), true).Num("id", r.RequestId).Uuid("uuid", r.Vm).Attrs(r.Attributes, ResultFields);
                break;
            case AdminEventPdu e:
                f.Num("id", e.Id, always: true).Num("time", e.TimeMs, always: true).Word("kind", Names.Of(e.Kind), true).Uuid("uuid", e.Vm)
                    .Attrs(e.Attributes, EventFields);
                break;
        }
        if (pdu.KeyId != 0 || pdu.Tag != 0)
            f.Sb.Append(" tag=").Append(pdu.KeyId.ToString("x2", CultureInfo.InvariantCulture)).Append(':')
                .Append(pdu.Tag.ToString("x32", CultureInfo.InvariantCulture));
        return f.Sb.ToString();
    }

    /// <summary>Builds "name=value" fields; nested lists open with "name={" and close with "}".</summary>
    private readonly struct Fields(StringBuilder sb)
    {
        public StringBuilder Sb { get; } = sb;

        private StringBuilder Key(string name)
        {
            char last = Sb.Length == 0 ? '{' : Sb[^1];
            if (last != '{') Sb.Append(' ');
            return Sb.Append(name).Append('=');
        }

        public Fields Num(string name, ulong v, bool always = false)
        {
            if (v != 0 || always) Key(name).Append(v.ToString(CultureInfo.InvariantCulture));
            return this;
        }

        public Fields Hex(string name, ulong v, bool always = false)
        {
            if (v != 0 || always) Key(name).Append("0x").Append(v.ToString("x16", CultureInfo.InvariantCulture));
            return this;
        }

        public Fields Word(string name, string word, bool show)
        {
            if (show) Key(name).Append(word);
            return this;
        }

        public Fields Raw(string name, string text)
        {
            AppendText(Key(name), text);
            return this;
        }

        public Fields Uuid(string name, Guid v)
        {
            if (v != Guid.Empty) Key(name).Append(v.ToString("D"));
            return this;
        }

        public Fields Open(string name)
        {
            Key(name).Append('{');
            return this;
        }

        public Fields Close()
        {
            Sb.Append('}');
            return this;
        }

        public Fields Record(VmState vm)
        {
            Key("uuid").Append(vm.Uuid.ToString("D"));
            if (vm.Name.Length > 0) Raw("name", vm.Name);
            Word("power", Names.Of(vm.Power), true).Word("reason", Names.Reason(vm.Power, vm.Reason), vm.Reason != 0)
                .Word("flags", Names.Of(vm.Flags), vm.Flags != 0).Num("vcpus", vm.Vcpus).Num("memory", vm.MemoryKib);
            return Attrs(vm.Attributes, RecordFields);
        }

        /// <summary>Writes attributes; one whose name is also a fixed field's here is written as xHH (spec §10).</summary>
        public Fields Attrs(AttrList attrs, string[] fixedFields)
        {
            foreach (var a in attrs) Attr(a, fixedFields);
            return this;
        }

        private void Attr(Attr a, string[] fixedFields)
        {
            var def = a.Def;
            string name = def is not null && !fixedFields.Contains(def.Name) ? def.Name
                : "x" + ((byte)a.Type).ToString("x2", CultureInfo.InvariantCulture);
            Key(a.Critical ? "!" + name : name);
            if (def is null or { Kind: AttrKind.Bytes }) { Sb.Append(a.Opaque?.ToString() ?? ""); return; }
            switch (def.Kind)
            {
                case AttrKind.Mac: AppendMac(Sb, a.Number); break;
                case AttrKind.Text or AttrKind.Name: AppendText(Sb, a.Text ?? ""); break;
                case AttrKind.Nested:
                    Sb.Append('{');
                    Attrs(a.Nested ?? [], []);
                    Sb.Append('}');
                    break;
                case AttrKind.DiskState:
                    var d = a.Disk!;
                    Sb.Append('{');
                    Raw("target", d.Target).Word("bus", Names.Of(d.Bus), true).Word("flags", Names.Of(d.Flags), d.Flags != 0).Num("size", d.Capacity, always: true);
                    Sb.Append('}');
                    break;
                case AttrKind.NicState:
                    var n = a.Nic!;
                    Sb.Append('{');
                    AppendMac(Key("mac"), n.Mac);
                    Word("model", Names.Of(n.Model), true).Word("kind", Names.Of(n.Kind), true);
                    if (n.Source.Length > 0) Raw("source", n.Source);
                    Sb.Append('}');
                    break;
                default:
                    if (Names.BitsForAttr(a.Type) is { } bits && a.Number <= byte.MaxValue)
                    {
                        Sb.Append(Names.AttrBits(bits, (byte)a.Number));
                        break;
                    }
                    var table = Names.ForAttr(a.Type);
                    Sb.Append(table is not null && a.Number <= byte.MaxValue ? Names.Get(table, (byte)a.Number) : a.Number.ToString(CultureInfo.InvariantCulture));
                    break;
            }
        }
    }

    // The fixed fields of each context, as the text form names them (tag is the top level's own).
    private static readonly string[] StateFields = ["host", "boot", "seq", "report", "page", "pages", "status", "vm", "tag"];
    private static readonly string[] ExchangeFields = ["id", "boot", "code", "flags", "uuid", "tag"];
    private static readonly string[] ErrorFields = ["code", "tag"];
    private static readonly string[] QueryFields = ["what", "tag"];
    private static readonly string[] SubmitFields = ["code", "flags", "tag"];
    private static readonly string[] HostFields = ["name", "boot", "seq", "state", "tag"];
    private static readonly string[] VmFields = ["host", "vm", "tag"];
    private static readonly string[] ResultFields = ["code", "id", "uuid", "tag"];
    private static readonly string[] EventFields = ["id", "time", "kind", "uuid", "tag"];
    private static readonly string[] RecordFields = ["uuid", "name", "power", "reason", "flags", "vcpus", "memory"];

    private static void AppendMac(StringBuilder sb, ulong mac)
    {
        for (int i = 5; i >= 0; i--)
        {
            sb.Append(((byte)(mac >> (8 * i))).ToString("x2", CultureInfo.InvariantCulture));
            if (i > 0) sb.Append(':');
        }
    }

    /// <summary>Text is written bare when every character is safe and it is not empty, else quoted with \xHH escapes.</summary>
    private static void AppendText(StringBuilder sb, string text)
    {
        if (text.Length > 0 && text.All(IsBare))
        {
            sb.Append(text);
            return;
        }
        sb.Append('"');
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            if (b is (byte)'"' or (byte)'\\') sb.Append('\\').Append((char)b);
            else if (b is >= 0x20 and < 0x7F) sb.Append((char)b);
            else sb.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }
        sb.Append('"');
    }

    internal static bool IsBare(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':' or '/' or '@' or '+' or ',' or '%';
}
