using System.Globalization;
using System.Text;
using Vmm.Protocol.Pdus;

namespace Vmm.Protocol.Text;

// The parsing half of the text form (spec §10). Errors are FormatExceptions with a one-line message.
public static partial class PduText
{
    /// <summary>Parses one line of the text form. Throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static Pdu Parse(string line)
    {
        var lexer = new Lexer(line);
        string keyword = lexer.Word();
        var fields = new FieldSet(lexer.Fields(topLevel: true), keyword);
        var (keyId, tag) = fields.TagValue;
        Pdu pdu = keyword switch
        {
            "state" => new StatePdu
            {
                Host = fields.Text("host", required: true), BootId = fields.U64("boot", required: true), Sequence = fields.U64("seq", required: true),
                Report = (uint)fields.Int("report", uint.MaxValue), Page = (ushort)fields.Int("page", ushort.MaxValue),
                Pages = (ushort)fields.Int("pages", ushort.MaxValue), Status = fields.Enum<HostStatus>("status", Names.TryParse),
                Vms = new ValueList<VmState>(fields.TakeAll("vm").Select(n => Record(new FieldSet(n.Children("vm"), "vm")))),
                Facts = fields.Attributes(),
            },
            "request" => new RequestPdu
            {
                RequestId = fields.U64("id", required: true), BootId = fields.U64("boot"), Code = fields.Enum<RequestCode>("code", Names.TryParse, required: true),
                Flags = fields.Enum<RequestFlags>("flags", Names.TryParse), Vm = fields.Uuid("uuid"), Parameters = fields.Attributes(),
            },
            "ack" => new AckPdu
            {
                RequestId = fields.U64("id", required: true), BootId = fields.U64("boot"), Code = fields.Enum<AckCode>("code", Names.TryParse, required: true),
                Flags = fields.Enum<AckFlags>("flags", Names.TryParse), Vm = fields.Uuid("uuid"), Results = fields.Attributes(),
            },
            "usage" => ParseUsage(fields),
            "error" => new ErrorPdu { Code = fields.ErrorCode(), Attributes = fields.Attributes() },
            "query" => new AdminQueryPdu { What = fields.Enum<QueryKind>("what", Names.TryParse, required: true), Filters = fields.Attributes() },
            "submit" => new AdminSubmitPdu
            {
                Code = fields.Enum<RequestCode>("code", Names.TryParse, required: true), Flags = fields.Enum<RequestFlags>("flags", Names.TryParse),
                Parameters = fields.Attributes(),
            },
            "host" => new AdminHostPdu
            {
                Name = fields.Text("name", required: true), BootId = fields.U64("boot"), Sequence = fields.U64("seq"),
                State = fields.Enum<HostState>("state", Names.TryParse, required: true), Attributes = fields.Attributes(),
            },
            "vm" => new AdminVmPdu
            {
                Host = fields.Text("host", required: true),
                Vm = Record(new FieldSet(fields.Take("vm", required: true)!.Children("vm"), "vm")),
                Attributes = fields.Attributes(),
            },
            "result" => new AdminResultPdu
            {
                Code = fields.Enum<AckCode>("code", Names.TryParse, required: true), RequestId = fields.U64("id"), Vm = fields.Uuid("uuid"),
                Attributes = fields.Attributes(),
            },
            "event" => new AdminEventPdu
            {
                Id = fields.U64("id", required: true), TimeMs = fields.U64("time", required: true),
                Kind = fields.Enum<EventKind>("kind", Names.TryParse, required: true), Vm = fields.Uuid("uuid"), Attributes = fields.Attributes(),
            },
            _ => throw new FormatException($"unknown PDU keyword '{keyword}' (expected state, request, ack, error, usage, query, submit, host, vm, result or event)"),
        };
        fields.EnsureEmpty();
        return pdu with { KeyId = keyId, Tag = tag };
    }

    private static VmState Record(FieldSet f)
    {
        var power = f.Enum<PowerState>("power", Names.TryParse, required: true);
        var vm = new VmState
        {
            Uuid = f.Uuid("uuid", required: true), Name = f.Text("name"), Power = power,
            Reason = f.Enum<byte>("reason", (string s, out byte v) => Names.TryParseReason(power, s, out v)),
            Flags = f.Enum<VmFlags>("flags", Names.TryParse), Vcpus = (ushort)f.Int("vcpus", ushort.MaxValue), MemoryKib = f.U64("memory"),
            Attributes = f.Attributes(),
        };
        f.EnsureEmpty();
        return vm;
    }

    /// <summary>One "name=value" of the text form; the value is text or a braced list of fields.</summary>
    private sealed class Node(string name, bool critical, string? text, List<Node>? children)
    {
        public string Name { get; } = name;
        public bool Critical { get; } = critical;
        public string? Text { get; } = text;
        public List<Node>? List { get; } = children;

        public string Scalar(string context) =>
            Text ?? throw new FormatException($"{context}: {Name} takes a single value, not a {{...}} list");

        public List<Node> Children(string context) =>
            List ?? throw new FormatException($"{context}: {Name} takes a {{...}} list");
    }

    private delegate bool TryParser<T>(string s, out T value);

    /// <summary>The fields of one level; each fixed field is taken once, and what remains are attributes.</summary>
    private sealed class FieldSet(List<Node> nodes, string context)
    {
        private readonly List<Node> _nodes = nodes;

        public (byte KeyId, UInt128 Tag) TagValue
        {
            get
            {
                var n = Take("tag");
                if (n is null) return (0, 0);
                var s = n.Scalar(context);
                int colon = s.IndexOf(':');
                if (colon != 2 || s.Length != 35
                    || !byte.TryParse(s.AsSpan(0, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte id)
                    || !UInt128.TryParse(s.AsSpan(3), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var tag))
                    throw new FormatException($"{context}: tag must be two hex digits, ':', and 32 hex digits");
                return (id, tag);
            }
        }

        public Node? Take(string name, bool required = false)
        {
            int i = _nodes.FindIndex(n => n.Name == name && !n.Critical);
            if (i < 0)
            {
                if (required) throw new FormatException($"{context}: missing {name}=");
                return null;
            }
            var node = _nodes[i];
            _nodes.RemoveAt(i);
            if (_nodes.Exists(n => n.Name == name && !n.Critical)) throw new FormatException($"{context}: {name}= appears twice");
            return node;
        }

        public IEnumerable<Node> TakeAll(string name)
        {
            var all = _nodes.Where(n => n.Name == name).ToList();
            _nodes.RemoveAll(n => n.Name == name);
            return all;
        }

        public string Text(string name, bool required = false) => Take(name, required)?.Scalar(context) ?? "";

        public ulong U64(string name, bool required = false)
        {
            var n = Take(name, required);
            return n is null ? 0 : Number(n.Scalar(context), ulong.MaxValue, $"{context} {name}");
        }

        public ulong Int(string name, ulong max) => Take(name) is { } n ? Number(n.Scalar(context), max, $"{context} {name}") : 0;

        public Guid Uuid(string name, bool required = false)
        {
            var n = Take(name, required);
            if (n is null) return Guid.Empty;
            var s = n.Scalar(context);
            return s.Length == 36 && Guid.TryParseExact(s, "D", out var g) ? g
                : throw new FormatException($"{context}: {name} '{Validation.Shorten(s)}' is not a uuid like 0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20");
        }

        public T Enum<T>(string name, TryParser<T> parse, bool required = false) where T : struct
        {
            var n = Take(name, required);
            if (n is null) return default;
            var s = n.Scalar(context);
            return parse(s, out var v) ? v : throw new FormatException($"{context}: '{Validation.Shorten(s)}' is not a valid {name}");
        }

        public ProtocolErrorCode ErrorCode()
        {
            var s = Take("code", required: true)!.Scalar(context);
            for (ushort c = 1; c <= 64; c++)
                if (((ProtocolErrorCode)c).Name() == s) return (ProtocolErrorCode)c;
            return (ProtocolErrorCode)Number(s, ushort.MaxValue, "error code");
        }

        public AttrList Attributes()
        {
            var list = new AttrList();
            foreach (var n in _nodes) list.Add(ToAttr(n, context));
            _nodes.Clear();
            return list;
        }

        public void EnsureEmpty()
        {
            if (_nodes.Count > 0) throw new FormatException($"{context}: unknown field '{_nodes[0].Name}'");
        }
    }

    private static Attr ToAttr(Node n, string context)
    {
        var def = AttrRegistry.Find(n.Name);
        if (def is null)
        {
            if (n.Name.Length != 3 || n.Name[0] != 'x'
                || !byte.TryParse(n.Name.AsSpan(1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte t) || t >= 0x80)
                throw new FormatException($"{context}: unknown field '{n.Name}'");
            // xHH names any type: an unknown one holds hex bytes; a known one (written so where its name is
            // also a fixed field's, spec §10) takes its kind's syntax.
            def = AttrRegistry.Find(t);
            if (def is null) return new Attr { Type = (AttrType)t, Critical = n.Critical, Opaque = Hex(n, context) };
        }
        var a = new Attr { Type = def.Type, Critical = n.Critical };
        string where = $"{context} {def.Name}";
        switch (def.Kind)
        {
            case AttrKind.Bytes: return a with { Opaque = Hex(n, context) };
            case AttrKind.Text or AttrKind.Name: return a with { Text = n.Scalar(context) };
            case AttrKind.Mac: return a with { Number = Mac(n.Scalar(context), where) };
            case AttrKind.Nested: return a with { Nested = new FieldSet(n.Children(context), def.Name).Attributes() };
            case AttrKind.DiskState:
                var d = new FieldSet(n.Children(context), "disk");
                var disk = new DiskInfo(d.Text("target", required: true), d.Enum<DiskBus>("bus", Names.TryParse),
                    d.Enum<DiskFlags>("flags", Names.TryParse), d.U64("size"));
                d.EnsureEmpty();
                return a with { Disk = disk };
            case AttrKind.NicState:
                var c = new FieldSet(n.Children(context), "nic");
                var nic = new NicInfo(Mac(c.Take("mac", required: true)!.Scalar("nic"), "nic mac"), c.Enum<NicModel>("model", Names.TryParse),
                    c.Enum<NicKind>("kind", Names.TryParse), c.Text("source"));
                c.EnsureEmpty();
                return a with { Nic = nic };
        }
        var s = n.Scalar(context);
        ulong max = def.Kind switch { AttrKind.U8 => byte.MaxValue, AttrKind.U16 => ushort.MaxValue, AttrKind.U32 => uint.MaxValue, _ => ulong.MaxValue };
        if (Names.ForAttr(def.Type) is { } table && Names.TryIndex(table, s, out byte b)) return a with { Number = b };
        if (Names.BitsForAttr(def.Type) is { } bits && Names.TryAttrBits(bits, s, out byte set)) return a with { Number = set };
        return a with { Number = Number(s, max, where) };
    }

    private static ulong Number(string s, ulong max, string where)
    {
        bool ok = s.StartsWith("0x", StringComparison.Ordinal)
            ? ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v)
            : ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        if (!ok || v > max) throw new FormatException($"{where}: '{Validation.Shorten(s)}' is not a number from 0 to {max}");
        return v;
    }

    // The value of a bytes attribute or of an unknown type: hex, two digits a byte.
    private static Blob Hex(Node n, string context)
    {
        var hex = n.Scalar(context);
        if (hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
            throw new FormatException($"{context}: value of {n.Name} must be hex bytes");
        return new Blob(Convert.FromHexString(hex));
    }

    private static ulong Mac(string s, string where)
    {
        var parts = s.Split(':');
        ulong mac = 0;
        if (parts.Length != 6) throw new FormatException($"{where}: '{Validation.Shorten(s)}' is not a MAC like 52:54:00:12:34:56");
        foreach (var p in parts)
        {
            if (p.Length != 2 || !byte.TryParse(p, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
                throw new FormatException($"{where}: '{Validation.Shorten(s)}' is not a MAC like 52:54:00:12:34:56");
            mac = (mac << 8) | b;
        }
        return mac;
    }

    /// <summary>Splits a line into a keyword and nested fields.</summary>
    private ref struct Lexer(string line)
    {
        private readonly string _s = line;
        private int _i;

        public string Word()
        {
            SkipSpace();
            int start = _i;
            while (_i < _s.Length && char.IsAsciiLetterLower(_s[_i])) _i++;
            if (_i == start) throw new FormatException("empty text: expected a PDU keyword such as 'request'");
            return _s[start.._i];
        }

        /// <summary>Braces deeper than any PDU needs (state, vm record, disk) are refused before they can exhaust the stack.</summary>
        private const int MaxDepth = 8;

        private int _depth;

        public List<Node> Fields(bool topLevel)
        {
            var list = new List<Node>();
            while (true)
            {
                SkipSpace();
                if (_i >= _s.Length)
                {
                    if (!topLevel) throw new FormatException("unbalanced '{': missing '}'");
                    return list;
                }
                if (_s[_i] == '}')
                {
                    if (topLevel) throw new FormatException($"unexpected '}}' at column {_i + 1}");
                    _i++;
                    return list;
                }
                bool critical = _s[_i] == '!';
                if (critical) _i++;
                int start = _i;
                while (_i < _s.Length && (char.IsAsciiLetterOrDigit(_s[_i]) || _s[_i] == '-')) _i++;
                if (_i == start || _i >= _s.Length || _s[_i] != '=')
                    throw new FormatException($"expected name=value at column {start + 1}");
                string name = _s[start.._i];
                _i++;
                if (_i < _s.Length && _s[_i] == '{')
                {
                    _i++;
                    if (++_depth > MaxDepth) throw new FormatException($"braces nested deeper than {MaxDepth} levels at column {_i}");
                    list.Add(new Node(name, critical, null, Fields(topLevel: false)));
                    _depth--;
                }
                else list.Add(new Node(name, critical, Value(), null));
            }
        }

        private string Value()
        {
            if (_i < _s.Length && _s[_i] == '"') return Quoted();
            int start = _i;
            while (_i < _s.Length && IsBare(_s[_i])) _i++;
            // A bare value ends where the separators do (spec §10: a run of spaces and tabs) or at a closing brace.
            if (_i < _s.Length && _s[_i] is not (' ' or '\t' or '}'))
                throw new FormatException($"character '{Validation.Shorten(_s[_i].ToString())}' at column {_i + 1} needs quotes");
            return _s[start.._i];
        }

        private string Quoted()
        {
            int open = _i++;
            var bytes = new List<byte>();
            Span<byte> utf8 = stackalloc byte[4];
            while (true)
            {
                if (_i >= _s.Length) throw new FormatException($"quote opened at column {open + 1} is not closed");
                char c = _s[_i++];
                if (c == '"') break;
                if (c == '\\')
                {
                    if (_i >= _s.Length) throw new FormatException("text ends inside an escape");
                    char e = _s[_i++];
                    if (e is '"' or '\\') bytes.Add((byte)e);
                    else if (e == 'x' && _i + 2 <= _s.Length
                        && byte.TryParse(_s.AsSpan(_i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
                    {
                        bytes.Add(b);
                        _i += 2;
                    }
                    else throw new FormatException($"unknown escape '\\{Validation.Shorten(e.ToString())}' at column {_i - 1}: use \\\", \\\\ or \\xHH");
                    continue;
                }
                if (c < ' ' || c == '\x7f')
                    throw new FormatException($"control character {Validation.Shorten(c.ToString())} at column {_i} inside quotes: write it as \\xHH");
                if (System.Text.Rune.DecodeFromUtf16(_s.AsSpan(_i - 1), out var rune, out int used) != System.Buffers.OperationStatus.Done)
                    throw new FormatException($"quoted text at column {_i} holds a lone surrogate, which is not a character");
                _i += used - 1;
                int n = rune.EncodeToUtf8(utf8);
                foreach (byte b in utf8[..n]) bytes.Add(b);
            }
            var arr = bytes.ToArray();
            if (!System.Text.Unicode.Utf8.IsValid(arr)) throw new FormatException($"quoted text at column {open + 1} is not valid UTF-8");
            return Encoding.UTF8.GetString(arr);
        }

        private void SkipSpace()
        {
            while (_i < _s.Length && _s[_i] is ' ' or '\t') _i++;
        }
    }
}
