using System.Buffers.Binary;

namespace Vmm.Protocol;

/// <summary>
/// Walks an attribute list without allocating, checking each attribute as it is reached (spec §5):
/// <code>
/// Attribute {
///   type   (8)   // bit 7: critical; bits 0-6: registry type
///   length (16)  // value bytes that follow
///   value  (length)
/// }
/// </code>
/// Types ascend through the list; only repeatable types repeat, next to each other. A known type's value
/// must fit its kind; an unknown type is skipped unless critical, which throws UnknownCritical.
/// </summary>
public ref struct AttrReader
{
    /// <summary>Nesting allowed below a PDU's own list: a nested list may not hold another nested list.</summary>
    private const int MaxDepth = 1;

    private ReadOnlySpan<byte> _rest;
    private readonly int _depth;
    private int _prevType;

    /// <summary>Reads the attribute list <paramref name="list"/>.</summary>
    public AttrReader(ReadOnlySpan<byte> list) : this(list, 0) { }

    private AttrReader(ReadOnlySpan<byte> list, int depth)
    {
        _rest = list;
        _depth = depth;
        _prevType = -1;
        TypeByte = 0;
        Value = default;
    }

    /// <summary>The current attribute's type byte, critical bit included.</summary>
    public byte TypeByte { get; private set; }

    /// <summary>The current attribute's value.</summary>
    public ReadOnlySpan<byte> Value { get; private set; }

    /// <summary>The current type without the critical bit.</summary>
    public readonly AttrType Type => (AttrType)(TypeByte & 0x7F);

    /// <summary>Whether the current attribute is critical.</summary>
    public readonly bool Critical => (TypeByte & AttrRegistry.CriticalBit) != 0;

    /// <summary>The current value as an unsigned integer (any of the integer kinds, or a MAC).</summary>
    public readonly ulong Number => Value.Length switch
    {
        1 => Value[0],
        2 => BinaryPrimitives.ReadUInt16BigEndian(Value),
        4 => BinaryPrimitives.ReadUInt32BigEndian(Value),
        6 => ((ulong)BinaryPrimitives.ReadUInt16BigEndian(Value) << 32) | BinaryPrimitives.ReadUInt32BigEndian(Value[2..]),
        8 => BinaryPrimitives.ReadUInt64BigEndian(Value),
        _ => 0,
    };

    /// <summary>A reader over the current nested list (already checked).</summary>
    public readonly AttrReader NestedReader => new(Value, _depth + 1);

    /// <summary>Checks a whole list, throwing on the first fault.</summary>
    public static void Validate(ReadOnlySpan<byte> list)
    {
        var r = new AttrReader(list);
        while (r.MoveNext()) { }
    }

    /// <summary>Advances to the next attribute; false at the end of the list.</summary>
    public bool MoveNext()
    {
        if (_rest.IsEmpty) return false;
        if (_rest.Length < 3) Throw.Malformed($"attribute header needs 3 bytes, {_rest.Length} left");
        byte typeByte = _rest[0];
        int length = BinaryPrimitives.ReadUInt16BigEndian(_rest[1..]);
        if (length > _rest.Length - 3)
            Throw.Malformed($"attribute 0x{typeByte:x2} declares {length} value bytes, {_rest.Length - 3} left");
        TypeByte = typeByte;
        Value = _rest.Slice(3, length);
        _rest = _rest[(3 + length)..];

        int type = typeByte & 0x7F;
        var def = AttrRegistry.Find((byte)type);
        if (type < _prevType)
            Throw.Malformed($"attribute {Label(type)} follows 0x{_prevType:x2}: attributes must ascend by type");
        if (type == _prevType && def is not null && !def.Repeatable)
            Throw.Malformed($"attribute {def.Name} occurs twice");
        _prevType = type;

        if (def is null)
        {
            if (Critical) Throw.Protocol(ProtocolErrorCode.UnknownCritical, $"unknown critical attribute 0x{type:x2}");
            return true;
        }
        CheckValue(def, Value, _depth);
        return true;
    }

    private static void CheckValue(AttrDef def, ReadOnlySpan<byte> v, int depth)
    {
        switch (def.Kind)
        {
            case AttrKind.U8: Size(def, v, 1); break;
            case AttrKind.U16: Size(def, v, 2); break;
            case AttrKind.U32: Size(def, v, 4); break;
            case AttrKind.U64: Size(def, v, 8); break;
            case AttrKind.Mac: Size(def, v, 6); break;
            case AttrKind.Text:
                if (v.Length > def.MaxLength) Throw.BadValue($"{def.Name} is {v.Length} bytes; the limit is {def.MaxLength}");
                if (!Validation.IsText(v)) Throw.BadValue($"{def.Name} is not UTF-8 text without control characters");
                break;
            case AttrKind.Name:
                if (v.Length > def.MaxLength || !Validation.IsName(v))
                    Throw.BadValue($"{def.Name} is not a valid name (1-{def.MaxLength} bytes of letters, digits, '.', '_', '-')");
                break;
            case AttrKind.Nested:
                if (depth >= MaxDepth) Throw.Malformed($"{def.Name} is nested too deeply");
                if (v.Length > def.MaxLength) Throw.BadValue($"{def.Name} is {v.Length} bytes; the limit is {def.MaxLength}");
                var inner = new AttrReader(v, depth + 1);
                while (inner.MoveNext()) { }
                break;
            case AttrKind.DiskState:
                // DiskState { capacity (64), bus (8), flags (8), target (rest) }
                if (v.Length < 11) Throw.Malformed($"disk value of {v.Length} bytes is shorter than 11");
                if (v.Length > def.MaxLength || !Validation.IsName(v[10..]))
                    Throw.BadValue("disk target is not a valid name of 1-32 bytes");
                if ((v[9] & ~0x07) != 0) Throw.Malformed($"disk flags 0x{v[9]:x2} set reserved bits");
                break;
            case AttrKind.NicState:
                // NicState { mac (48), model (8), kind (8), source (rest) }
                if (v.Length < 8) Throw.Malformed($"nic value of {v.Length} bytes is shorter than 8");
                if (v.Length > def.MaxLength || !Validation.IsText(v[8..]))
                    Throw.BadValue("nic source is not UTF-8 text of at most 255 bytes");
                break;
        }
    }

    private static void Size(AttrDef def, ReadOnlySpan<byte> v, int n)
    {
        if (v.Length != n) Throw.Malformed($"{def.Name} value is {v.Length} bytes; it must be {n}");
    }

    private static string Label(int type) => AttrRegistry.Find((byte)type)?.Name ?? $"0x{type:x2}";
}
