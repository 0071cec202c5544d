using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

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
    private readonly bool _checked;
    private int _prevType;

    /// <summary>Reads the attribute list <paramref name="list"/>, checking it as it goes.</summary>
    public AttrReader(ReadOnlySpan<byte> list) : this(list, 0, alreadyChecked: false) { }

    private AttrReader(ReadOnlySpan<byte> list, int depth, bool alreadyChecked)
    {
        _rest = list;
        _depth = depth;
        _checked = alreadyChecked;
        _prevType = -1;
        TypeByte = 0;
        Value = default;
    }

    /// <summary>A reader over a list that <see cref="Validate"/> already accepted: it only slices (the views use it).</summary>
    internal static AttrReader OverChecked(ReadOnlySpan<byte> list) => new(list, 0, alreadyChecked: true);

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

    /// <summary>A reader over the current nested list (checked with its container).</summary>
    public readonly AttrReader NestedReader => new(Value, _depth + 1, _checked);

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
        if (_rest.Length < 3) Fail.ShortHeader(_rest.Length);
        byte typeByte = _rest[0];
        int length = BinaryPrimitives.ReadUInt16BigEndian(_rest[1..]);
        if (length > _rest.Length - 3) Fail.Overrun(typeByte, length, _rest.Length - 3);
        TypeByte = typeByte;
        Value = _rest.Slice(3, length);
        _rest = _rest[(3 + length)..];
        if (_checked) return true;

        int type = typeByte & 0x7F;
        var def = AttrRegistry.Find((byte)type);
        if (type < _prevType) Fail.Order(type, _prevType);
        if (type == _prevType && def is not null && !def.Repeatable) Fail.Repeated(def);
        _prevType = type;

        if (def is null)
        {
            if (Critical) Fail.UnknownCritical(type);
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
                if (v.Length > def.MaxLength) Fail.TooLong(def, v.Length);
                if (!Validation.IsText(v)) Fail.NotText(def);
                break;
            case AttrKind.Name:
                if (v.Length > def.MaxLength || !Validation.IsName(v)) Fail.NotName(def);
                break;
            case AttrKind.Nested:
                if (depth >= MaxDepth) Fail.TooDeep(def);
                if (v.Length > def.MaxLength) Fail.TooLong(def, v.Length);
                var inner = new AttrReader(v, depth + 1, alreadyChecked: false);
                while (inner.MoveNext()) { }
                break;
            case AttrKind.DiskState:
                // DiskState { capacity (64), bus (8), flags (8), target (rest) }
                if (v.Length < 11) Fail.ShortValue(def, v.Length, 11);
                if (v.Length > def.MaxLength || !Validation.IsName(v[10..])) Fail.DiskTarget();
                if ((v[9] & ~0x07) != 0) Fail.DiskFlags(v[9]);
                break;
            case AttrKind.Bytes:
                if (v.Length == 0) Fail.ShortValue(def, 0, 1);
                if (v.Length > def.MaxLength) Fail.TooLong(def, v.Length);
                break;
            case AttrKind.NicState:
                // NicState { mac (48), model (8), kind (8), source (rest) }
                if (v.Length < 8) Fail.ShortValue(def, v.Length, 8);
                if (v.Length > def.MaxLength || !Validation.IsText(v[8..])) Fail.NicSource();
                break;
        }
    }

    private static void Size(AttrDef def, ReadOnlySpan<byte> v, int n)
    {
        if (v.Length != n) Fail.WrongSize(def, v.Length, n);
    }

    /// <summary>The messages, built out of line so that the checks above stay small (Kestrel's ThrowHelper).</summary>
    private static class Fail
    {
        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void ShortHeader(int left) => Throw.Malformed($"attribute header needs 3 bytes, {left} left");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void Overrun(byte type, int length, int left) =>
            Throw.Malformed($"attribute 0x{type:x2} declares {length} value bytes, {left} left");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void Order(int type, int prev) =>
            Throw.Malformed($"attribute {Label(type)} follows 0x{prev:x2}: attributes must ascend by type");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void Repeated(AttrDef def) => Throw.Malformed($"attribute {def.Name} occurs twice");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void UnknownCritical(int type) =>
            Throw.Protocol(ProtocolErrorCode.UnknownCritical, $"unknown critical attribute 0x{type:x2}");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void TooLong(AttrDef def, int length) => Throw.BadValue($"{def.Name} is {length} bytes; the limit is {def.MaxLength}");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void NotText(AttrDef def) => Throw.BadValue($"{def.Name} is not UTF-8 text without control characters");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void NotName(AttrDef def) =>
            Throw.BadValue($"{def.Name} is not a valid name (1-{def.MaxLength} bytes of letters, digits, '.', '_', '-')");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void TooDeep(AttrDef def) => Throw.Malformed($"{def.Name} is nested too deeply");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void ShortValue(AttrDef def, int length, int min) => Throw.Malformed($"{def.Name} value of {length} bytes is shorter than {min}");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void DiskTarget() => Throw.BadValue("disk target is not a valid name of 1-32 bytes");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void DiskFlags(byte flags) => Throw.Malformed($"disk flags 0x{flags:x2} set reserved bits");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void NicSource() => Throw.BadValue("nic source is not UTF-8 text of at most 255 bytes");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void WrongSize(AttrDef def, int length, int n) => Throw.Malformed($"{def.Name} value is {length} bytes; it must be {n}");

        private static string Label(int type) => AttrRegistry.Find((byte)type)?.Name ?? $"0x{type:x2}";
    }
}
