using Vmm.Protocol.Internal;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// USAGE (type 0x05), host to controller over UDP (spec §16): one page of a sample of the usage counters of the
/// host's VMs. Counters only grow, so each page stands alone and a lost one loses nothing but its moment.
/// </summary>
public sealed record UsagePdu : Pdu
{
    /// <inheritdoc/>
    public override PduType Type => PduType.Usage;
    /// <summary>The sending hostd's boot id (as in its STATE), never 0.</summary>
    public ulong BootId { get; init; }
    /// <summary>hostd's monotonic clock when libvirt was asked, ms; the same in every page of one sample.</summary>
    public ulong SampledMs { get; init; }
    /// <summary>This page, 0 .. Pages-1.</summary>
    public ushort Page { get; init; }
    /// <summary>Pages of the sample, at least 1.</summary>
    public ushort Pages { get; init; }
    /// <summary>The sender's usage interval, ms: the next sample is due after it.</summary>
    public uint IntervalMs { get; init; }
    /// <summary>Host name.</summary>
    public string Host { get; init; } = "";
    /// <summary>Usage records.</summary>
    public ValueList<VmUsage> Vms { get; init => field = value.Freeze(); } = ValueList<VmUsage>.Empty;

    /// <summary>Materializes a checked view.</summary>
    public static UsagePdu From(in UsageView v)
    {
        var vms = new ValueList<VmUsage>();
        foreach (var r in v.Vms) vms.Add(new VmUsage { Uuid = r.Uuid, Attributes = AttrCodec.ReadChecked(r.AttributeBytes) });
        return new UsagePdu
        {
            BootId = v.BootId, SampledMs = v.SampledMs, Page = v.Page, Pages = v.Pages, IntervalMs = v.IntervalMs,
            Host = Validation.Decode(v.HostUtf8), Vms = vms,
        };
    }

    internal override void WriteBody(ref WireWriter w)
    {
        UsageWriter.WriteFixed(ref w, BootId, SampledMs, Page, Pages, IntervalMs, Host);
        foreach (var vm in Vms) UsageWriter.WriteRecord(ref w, vm.Uuid, vm.Attributes);
    }
}

/// <summary>One VM's usage record (spec §16): its uuid and its counters as attributes.</summary>
public sealed record VmUsage
{
    /// <summary>libvirt's uuid of the VM.</summary>
    public Guid Uuid { get; init; }
    /// <summary>The counters (attributes 0x70-0x7A), and any attribute a later version adds.</summary>
    public AttrList Attributes { get; init => field = value.Frozen(); } = AttrList.Empty;
}

/// <summary>A checked USAGE body over its bytes; allocates nothing.</summary>
public readonly ref struct UsageView
{
    private readonly ReadOnlySpan<byte> _records;

    private UsageView(ulong boot, ulong sampled, ushort page, ushort pages, uint interval, ReadOnlySpan<byte> host, ReadOnlySpan<byte> records, int count)
    {
        BootId = boot; SampledMs = sampled; Page = page; Pages = pages; IntervalMs = interval; HostUtf8 = host; _records = records; VmCount = count;
    }

    /// <summary>Boot id.</summary>
    public ulong BootId { get; }
    /// <summary>When the sample was taken, by hostd's monotonic clock, ms.</summary>
    public ulong SampledMs { get; }
    /// <summary>Page.</summary>
    public ushort Page { get; }
    /// <summary>Pages of the sample.</summary>
    public ushort Pages { get; }
    /// <summary>The sender's usage interval, ms.</summary>
    public uint IntervalMs { get; }
    /// <summary>Host name, UTF-8.</summary>
    public ReadOnlySpan<byte> HostUtf8 { get; }
    /// <summary>Number of usage records.</summary>
    public int VmCount { get; }
    /// <summary>The usage records.</summary>
    public UsageRecordEnumerator Vms => new(_records);

    /// <summary>
    /// The host name of a USAGE body that has not been authenticated yet (spec §3.3): name_len is at body offset 25
    /// as in STATE, so <see cref="StateView.TryPeekHost"/> reads both.
    /// </summary>
    public static bool TryPeekHost(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> host) => StateView.TryPeekHost(body, out host);

    /// <summary>Parses and checks a USAGE body (spec §16.1).
    /// <code>
    /// Usage {
    ///   boot_id     (64)
    ///   sampled_ms  (64)
    ///   page        (16)
    ///   pages       (16)
    ///   interval_ms (32)
    ///   flags       (8)    // reserved, 0
    ///   name_len    (8)
    ///   name        (name_len)
    ///   records     (rest of the body)   // UsageRecord*
    /// }
    /// </code>
    /// </summary>
    public static UsageView Parse(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        ulong boot = r.U64("boot_id");
        ulong sampled = r.U64("sampled_ms");
        ushort page = r.U16("page");
        ushort pages = r.U16("pages");
        uint interval = r.U32("interval_ms");
        byte flags = r.U8("usage flags");
        var host = r.Str8("host name");
        var records = r.Rest();
        if (flags != 0) Throw.ReservedBits("usage flags", flags);
        if (boot == 0) Throw.BadValue("usage boot_id is 0");
        if (page >= pages) Throw.BadValue($"usage page {page} is not below pages {pages}");
        if (!Validation.IsName(host)) Throw.BadValue("usage host name is not a valid name");
        int count = 0;
        for (var rest = records; !rest.IsEmpty; count++)
            rest = rest[UsageRecordView.Parse(rest, out _)..];
        return new UsageView(boot, sampled, page, pages, interval, host, records, count);
    }
}

/// <summary>A checked usage record over its bytes; allocates nothing.</summary>
public readonly ref struct UsageRecordView
{
    /// <summary>Fixed part of a record after its length field: the uuid.</summary>
    public const int FixedSize = 16;

    private readonly ReadOnlySpan<byte> _record;

    private UsageRecordView(ReadOnlySpan<byte> record) => _record = record;

    /// <summary>The uuid.</summary>
    public Guid Uuid => new(_record[..16], bigEndian: true);
    /// <summary>The record's attribute list.</summary>
    public ReadOnlySpan<byte> AttributeBytes => _record[FixedSize..];
    /// <summary>A reader over the attributes (already checked).</summary>
    public AttrReader Attributes => AttrReader.OverChecked(AttributeBytes);
    /// <summary>The counters the record carries.</summary>
    public UsageCounters Counters => UsageCounters.Read(Attributes);

    /// <summary>
    /// Reads and checks one record at the start of <paramref name="input"/>; returns the bytes it used.
    /// <code>
    /// UsageRecord {
    ///   length     (16)   // bytes after this field, 16 or more
    ///   uuid       (128)
    ///   attributes (rest of the record)   // 0x70-0x7A
    /// }
    /// </code>
    /// </summary>
    public static int Parse(ReadOnlySpan<byte> input, out UsageRecordView view)
    {
        var r = new WireReader(input);
        int length = r.U16("usage record length");
        if (length < FixedSize) Throw.ShortRecord(length, FixedSize);
        var record = r.Bytes(length, "usage record");
        AttrReader.Validate(record[FixedSize..]);
        view = new UsageRecordView(record);
        return 2 + length;
    }

    internal static int Slice(ReadOnlySpan<byte> input, out UsageRecordView view)
    {
        int length = (input[0] << 8) | input[1];
        view = new UsageRecordView(input.Slice(2, length));
        return 2 + length;
    }
}

/// <summary>Enumerates the checked usage records of a USAGE body without allocating.</summary>
public ref struct UsageRecordEnumerator(ReadOnlySpan<byte> records)
{
    private ReadOnlySpan<byte> _rest = records;

    /// <summary>The current record.</summary>
    public UsageRecordView Current { get; private set; }

    /// <summary>Supports foreach.</summary>
    public readonly UsageRecordEnumerator GetEnumerator() => this;

    /// <summary>Advances; the records were checked when the PDU was parsed.</summary>
    public bool MoveNext()
    {
        if (_rest.IsEmpty) return false;
        int used = UsageRecordView.Slice(_rest, out var v);
        Current = v;
        _rest = _rest[used..];
        return true;
    }
}
