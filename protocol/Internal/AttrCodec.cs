using System.Buffers.Binary;
using System.Text;

namespace Vmm.Protocol.Internal;

/// <summary>Converts attribute lists between wire bytes (spec §5) and <see cref="AttrList"/>.</summary>
internal static class AttrCodec
{
    /// <summary>Reads and checks a whole list.</summary>
    public static AttrList Read(ReadOnlySpan<byte> list) => Read(new AttrReader(list));

    /// <summary>Reads a list that a view's Parse already checked.</summary>
    public static AttrList ReadChecked(ReadOnlySpan<byte> list) => Read(AttrReader.OverChecked(list));

    private static AttrList Read(AttrReader r)
    {
        var result = new AttrList();
        while (r.MoveNext()) result.Add(ToAttr(ref r));
        return result;
    }

    private static Attr ToAttr(ref AttrReader r)
    {
        var def = AttrRegistry.Find(r.TypeByte);
        var v = r.Value;
        var type = r.Type;
        bool critical = r.Critical;
        return def?.Kind switch
        {
            AttrKind.U8 or AttrKind.U16 or AttrKind.U32 or AttrKind.U64 or AttrKind.Mac =>
                new Attr { Type = type, Critical = critical, Number = r.Number },
            AttrKind.Text or AttrKind.Name => new Attr { Type = type, Critical = critical, Text = Encoding.UTF8.GetString(v) },
            AttrKind.Nested => new Attr { Type = type, Critical = critical, Nested = Read(r.NestedReader) },
            AttrKind.DiskState => new Attr
            {
                Type = type, Critical = critical,
                Disk = new DiskInfo(Encoding.UTF8.GetString(v[10..]), (DiskBus)v[8], (DiskFlags)v[9], BinaryPrimitives.ReadUInt64BigEndian(v)),
            },
            AttrKind.NicState => new Attr
            {
                Type = type, Critical = critical,
                Nic = new NicInfo(ReadMac(v), (NicModel)v[6], (NicKind)v[7], Encoding.UTF8.GetString(v[8..])),
            },
            _ => new Attr { Type = type, Critical = critical, Opaque = new Blob(v.ToArray()) },
        };
    }

    internal static ulong ReadMac(ReadOnlySpan<byte> v) =>
        ((ulong)BinaryPrimitives.ReadUInt16BigEndian(v) << 32) | BinaryPrimitives.ReadUInt32BigEndian(v[2..]);

    internal static void WriteMac(Span<byte> d, ulong mac)
    {
        BinaryPrimitives.WriteUInt16BigEndian(d, (ushort)(mac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(d[2..], (uint)mac);
    }

    /// <summary>Bytes <paramref name="list"/> takes on the wire.</summary>
    public static int Size(AttrList? list)
    {
        int n = 0;
        if (list is null) return 0;
        foreach (var a in list) n += Size(a);
        return n;
    }

    /// <summary>Bytes one attribute takes on the wire, header included.</summary>
    public static int Size(Attr a)
    {
        var def = a.Def;
        int value = def?.Kind switch
        {
            null => a.Opaque?.Bytes.Length ?? 0,
            AttrKind.U8 => 1,
            AttrKind.U16 => 2,
            AttrKind.U32 => 4,
            AttrKind.U64 => 8,
            AttrKind.Mac => 6,
            AttrKind.Text or AttrKind.Name => Encoding.UTF8.GetByteCount(a.Text ?? ""),
            AttrKind.Nested => Size(a.Nested),
            AttrKind.DiskState => 10 + Encoding.UTF8.GetByteCount(a.Disk?.Target ?? ""),
            AttrKind.NicState => 8 + Encoding.UTF8.GetByteCount(a.Nic?.Source ?? ""),
            _ => a.Opaque?.Bytes.Length ?? 0,
        };
        return 3 + value;
    }

    /// <summary>Writes a list in its stored order (which <see cref="AttrList.Add(Attr)"/> keeps ascending).</summary>
    public static void Write(ref WireWriter w, AttrList? list)
    {
        if (list is null) return;
        foreach (var a in list) Write(ref w, a);
    }

    private static ulong Fit(Attr a, ulong max)
    {
        if (a.Number > max) Throw.BadValue($"{a.Def?.Name} value {a.Number} does not fit its {max} maximum");
        return a.Number;
    }

    public static void Write(ref WireWriter w, Attr a)
    {
        var def = a.Def;
        w.U8((byte)((byte)a.Type | (a.Critical ? AttrRegistry.CriticalBit : 0)));
        int lengthAt = w.Position;
        w.U16(0);
        int start = w.Position;
        if (def is null)
        {
            w.Bytes(a.Opaque is null ? [] : a.Opaque.Bytes);
        }
        else
        {
            switch (def.Kind)
            {
                case AttrKind.U8: w.U8((byte)Fit(a, byte.MaxValue)); break;
                case AttrKind.U16: w.U16((ushort)Fit(a, ushort.MaxValue)); break;
                case AttrKind.U32: w.U32((uint)Fit(a, uint.MaxValue)); break;
                case AttrKind.U64: w.U64(a.Number); break;
                case AttrKind.Mac: WriteMac(w.Take(6), Fit(a, 0xFFFF_FFFF_FFFF)); break;
                case AttrKind.Text:
                case AttrKind.Name: w.Utf8(a.Text ?? ""); break;
                case AttrKind.Nested: Write(ref w, a.Nested); break;
                case AttrKind.DiskState:
                    var d = a.Disk ?? throw new ArgumentException("disk attribute without a disk value");
                    w.U64(d.Capacity);
                    w.U8((byte)d.Bus);
                    w.U8((byte)d.Flags);
                    w.Utf8(d.Target);
                    break;
                case AttrKind.NicState:
                    var n = a.Nic ?? throw new ArgumentException("nic attribute without a nic value");
                    if (n.Mac > 0xFFFF_FFFF_FFFF) Throw.BadValue($"nic mac 0x{n.Mac:x} does not fit 48 bits");
                    WriteMac(w.Take(6), n.Mac);
                    w.U8((byte)n.Model);
                    w.U8((byte)n.Kind);
                    w.Utf8(n.Source);
                    break;
                case AttrKind.Bytes:
                    var bytes = a.Opaque?.Bytes ?? [];
                    if (bytes.Length == 0 || bytes.Length > def.MaxLength)
                        Throw.BadValue($"{def.Name} value of {bytes.Length} bytes is outside 1 to {def.MaxLength}");
                    w.Bytes(bytes);
                    break;
            }
        }
        int length = w.Position - start;
        if (length > ushort.MaxValue) Throw.BadValue($"attribute {def?.Name ?? a.Type.ToString()} value of {length} bytes is too long");
        w.PatchU16(lengthAt, (ushort)length);
    }
}
