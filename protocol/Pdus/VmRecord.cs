using Vmm.Protocol.Internal;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// The complete state of one VM (spec §6.2). A record overrides whatever the receiver held for the uuid;
/// a tombstone says the VM is gone from the host.
/// </summary>
public sealed record VmState
{
    /// <summary>libvirt's uuid of the VM.</summary>
    public Guid Uuid { get; init; }
    /// <summary>Power state.</summary>
    public PowerState Power { get; init; }
    /// <summary>Reason for the power state (spec §8.4), libvirt's numbering for that state.</summary>
    public byte Reason { get; init; }
    /// <summary>Tombstone, persistent, autostart.</summary>
    public VmFlags Flags { get; init; }
    /// <summary>vCPUs currently online.</summary>
    public ushort Vcpus { get; init; }
    /// <summary>Current memory in KiB.</summary>
    public ulong MemoryKib { get; init; }
    /// <summary>The longest VM name in bytes (spec §6.2: its length is one byte).</summary>
    public const int MaxNameBytes = 255;

    /// <summary>libvirt's name of the VM (any text, up to 255 bytes: VMs defined outside Vmm are reported too).</summary>
    public string Name { get; init; } = "";
    /// <summary>Disks, NICs, maxima, snapshot count, last request (spec §6.2).</summary>
    public AttrList Attributes { get; init => field = value.Frozen(); } = AttrList.Empty;

    /// <summary>Bytes this record takes in a STATE or VM PDU, its length field included: what a sender pages by.</summary>
    public int EncodedSize => 2 + VmRecordView.FixedSize + System.Text.Encoding.UTF8.GetByteCount(Name) + AttrCodec.Size(Attributes);

    /// <summary>A tombstone for <paramref name="uuid"/>.</summary>
    public static VmState TombstoneFor(Guid uuid, string name) => new() { Uuid = uuid, Flags = VmFlags.Tombstone, Name = name };

    /// <summary>Materializes a checked record view.</summary>
    public static VmState From(in VmRecordView v) => new()
    {
        Uuid = v.Uuid,
        Power = v.Power,
        Reason = v.Reason,
        Flags = v.Flags,
        Vcpus = v.Vcpus,
        MemoryKib = v.MemoryKib,
        Name = Validation.Decode(v.NameUtf8),
        Attributes = AttrCodec.ReadChecked(v.AttributeBytes),
    };

    /// <summary>
    /// <code>
    /// VmRecord {
    ///   length     (16)   // bytes after this field, 30..65535
    ///   uuid       (128)
    ///   power      (8)
    ///   reason     (8)
    ///   flags      (8)    // bit 0 tombstone, 1 persistent, 2 autostart, 3 truncated; others 0
    ///   vcpus      (16)
    ///   memory_kib (64)
    ///   name_len   (8)
    ///   name       (name_len)
    ///   attributes (rest of the record)
    /// }
    /// </code>
    /// </summary>
    internal void Write(ref WireWriter w)
    {
        int lengthAt = w.Position;
        w.U16(0);
        w.Uuid(Uuid);
        w.U8((byte)Power);
        w.U8(Reason);
        w.U8((byte)Flags);
        w.U16(Vcpus);
        w.U64(MemoryKib);
        w.Str8(Name, MaxNameBytes, "VM name");
        AttrCodec.Write(ref w, Attributes);
        w.PatchU16(lengthAt, checked((ushort)(w.Position - lengthAt - 2)));
    }
}

/// <summary>A checked VM record over its bytes; allocates nothing.</summary>
public readonly ref struct VmRecordView
{
    /// <summary>Fixed part of a record after its length field.</summary>
    public const int FixedSize = 16 + 1 + 1 + 1 + 2 + 8 + 1;

    private readonly ReadOnlySpan<byte> _record;

    private VmRecordView(ReadOnlySpan<byte> record, ReadOnlySpan<byte> name, ReadOnlySpan<byte> attrs)
    {
        _record = record;
        NameUtf8 = name;
        AttributeBytes = attrs;
    }

    /// <summary>The record's bytes after its length field: what a receiver may hash to skip unchanged records.</summary>
    public ReadOnlySpan<byte> Bytes => _record;
    /// <summary>The uuid.</summary>
    public Guid Uuid => new(_record[..16], bigEndian: true);
    /// <summary>The power state.</summary>
    public PowerState Power => (PowerState)_record[16];
    /// <summary>The reason.</summary>
    public byte Reason => _record[17];
    /// <summary>The flags.</summary>
    public VmFlags Flags => (VmFlags)_record[18];
    /// <summary>vCPUs.</summary>
    public ushort Vcpus => (ushort)((_record[19] << 8) | _record[20]);
    /// <summary>Memory in KiB.</summary>
    public ulong MemoryKib => System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(_record[21..]);
    /// <summary>The name's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> NameUtf8 { get; }
    /// <summary>The record's attribute list.</summary>
    public ReadOnlySpan<byte> AttributeBytes { get; }
    /// <summary>A reader over the attributes (already checked).</summary>
    public AttrReader Attributes => AttrReader.OverChecked(AttributeBytes);

    /// <summary>Reads and checks one record at the start of <paramref name="input"/>; returns the bytes it used.</summary>
    public static int Parse(ReadOnlySpan<byte> input, out VmRecordView view)
    {
        var r = new WireReader(input);
        int length = r.U16("VM record length");
        if (length < FixedSize) Throw.ShortRecord(length, FixedSize);
        var record = r.Bytes(length, "VM record");
        var f = new WireReader(record);
        f.Bytes(16, "uuid");
        byte power = f.U8("power");
        byte reason = f.U8("reason");
        byte flags = f.U8("VM flags");
        ushort vcpus = f.U16("vcpus");
        ulong memory = f.U64("memory");
        var name = f.Str8("VM name");
        var attrs = f.Rest();
        if ((flags & ~0x1F) != 0) Throw.ReservedBits("VM record flags", flags);
        if (!Validation.IsText(name)) Throw.BadValue("VM name is not UTF-8 text without control characters");
        if ((flags & (byte)VmFlags.Tombstone) != 0 && (flags != (byte)VmFlags.Tombstone || power != 0 || reason != 0 || vcpus != 0 || memory != 0 || !attrs.IsEmpty))
            Throw.Malformed("a tombstone carries only uuid and name: every other field must be zero and it has no attributes");
        AttrReader.Validate(attrs);
        view = new VmRecordView(record, name, attrs);
        return 2 + length;
    }

    /// <summary>
    /// A view over a record's bytes after its length field (what <see cref="Bytes"/> gave) that <see cref="Parse"/>
    /// checked before: a receiver that keeps records as received reads their fields through this.
    /// </summary>
    public static VmRecordView OverChecked(ReadOnlySpan<byte> record)
    {
        int nameLength = record[FixedSize - 1];
        return new VmRecordView(record, record.Slice(FixedSize, nameLength), record[(FixedSize + nameLength)..]);
    }

    /// <summary>Slices a record that <see cref="Parse"/> already checked; returns the bytes it used.</summary>
    internal static int Slice(ReadOnlySpan<byte> input, out VmRecordView view)
    {
        int length = (input[0] << 8) | input[1];
        view = OverChecked(input.Slice(2, length));
        return 2 + length;
    }
}

/// <summary>Enumerates the checked VM records of a list without allocating.</summary>
public ref struct VmRecordEnumerator(ReadOnlySpan<byte> records)
{
    private ReadOnlySpan<byte> _rest = records;

    /// <summary>The current record.</summary>
    public VmRecordView Current { get; private set; }

    /// <summary>Supports foreach.</summary>
    public readonly VmRecordEnumerator GetEnumerator() => this;

    /// <summary>Advances; the records were checked when the PDU was parsed.</summary>
    public bool MoveNext()
    {
        if (_rest.IsEmpty) return false;
        int used = VmRecordView.Slice(_rest, out var v);
        Current = v;
        _rest = _rest[used..];
        return true;
    }
}
