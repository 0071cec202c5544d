using Vmm.Protocol.Internal;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// STATE (type 0x01), host to controller over UDP (spec §6.1): the host's identity and facts, and complete
/// records of some or all of its VMs. A report page (pages &gt; 0) is part of complete report number
/// <see cref="Report"/>; an event datagram (pages = 0) carries records that changed.
/// </summary>
public sealed record StatePdu : Pdu
{
    /// <inheritdoc/>
    public override PduType Type => PduType.State;
    /// <summary>Random id of this hostd run, never 0.</summary>
    public ulong BootId { get; init; }
    /// <summary>Datagram sequence within the boot: 1, 2, 3, ... with no reuse.</summary>
    public ulong Sequence { get; init; }
    /// <summary>Complete report number within the boot (0 in event datagrams).</summary>
    public uint Report { get; init; }
    /// <summary>Page of the report, 0..Pages-1 (0 in event datagrams).</summary>
    public ushort Page { get; init; }
    /// <summary>Pages in the report; 0 marks an event datagram.</summary>
    public ushort Pages { get; init; }
    /// <summary>Hypervisor unreachable, stopping.</summary>
    public HostStatus Status { get; init; }
    /// <summary>Host name.</summary>
    public string Host { get; init; } = "";
    /// <summary>Host facts (spec §6.1): cpus, memory, port, migration URI, hypervisor, VM count.</summary>
    public AttrList Facts { get; init => field = value.Frozen(); } = AttrList.Empty;
    /// <summary>VM records.</summary>
    public ValueList<VmState> Vms { get; init => field = value.Freeze(); } = ValueList<VmState>.Empty;

    /// <summary>Materializes a checked view.</summary>
    public static StatePdu From(in StateView v)
    {
        var vms = new ValueList<VmState>();
        foreach (var r in v.Vms) vms.Add(VmState.From(r));
        return new StatePdu
        {
            BootId = v.BootId, Sequence = v.Sequence, Report = v.Report, Page = v.Page, Pages = v.Pages, Status = v.Status,
            Host = Validation.Decode(v.HostUtf8), Facts = AttrCodec.ReadChecked(v.FactBytes), Vms = vms,
        };
    }

    /// <summary>Bytes of the whole PDU without its VM records, header and tag included: the room page 0 has
    /// left for records is <see cref="PduHeader.MaxDatagram"/> minus this.</summary>
    public int EncodedSizeWithoutVms =>
        PduHeader.Size + FixedSize + System.Text.Encoding.UTF8.GetByteCount(Host) + 2 + AttrCodec.Size(Facts) + PduHeader.TagSize;

    /// <summary>Bytes of the whole PDU, header and tag included.</summary>
    public int EncodedSize
    {
        get
        {
            int n = EncodedSizeWithoutVms;
            foreach (var vm in Vms) n += vm.EncodedSize;
            return n;
        }
    }

    /// <summary>boot_id, sequence, report, page, pages, status and name_len.</summary>
    private const int FixedSize = 8 + 8 + 4 + 2 + 2 + 1 + 1;

    /// <summary>Writes the body: <see cref="StateWriter.WriteFixed"/> holds the layout (spec §6.1).</summary>
    internal override void WriteBody(ref WireWriter w)
    {
        StateWriter.WriteFixed(ref w, BootId, Sequence, Report, Page, Pages, Status, Host, Facts);
        foreach (var vm in Vms) vm.Write(ref w);
    }
}

/// <summary>A checked STATE body over its bytes; allocates nothing. Parsing checks every record up front,
/// so a receiver never applies half of a bad datagram.</summary>
public readonly ref struct StateView
{
    private readonly ReadOnlySpan<byte> _records;

    private StateView(ulong boot, ulong seq, uint report, ushort page, ushort pages, HostStatus status,
        ReadOnlySpan<byte> host, ReadOnlySpan<byte> facts, ReadOnlySpan<byte> records, int count)
    {
        BootId = boot; Sequence = seq; Report = report; Page = page; Pages = pages; Status = status;
        HostUtf8 = host; FactBytes = facts; _records = records; VmCount = count;
    }

    /// <summary>Boot id.</summary>
    public ulong BootId { get; }
    /// <summary>Sequence.</summary>
    public ulong Sequence { get; }
    /// <summary>Report number.</summary>
    public uint Report { get; }
    /// <summary>Page.</summary>
    public ushort Page { get; }
    /// <summary>Pages (0: event datagram).</summary>
    public ushort Pages { get; }
    /// <summary>Host status bits.</summary>
    public HostStatus Status { get; }
    /// <summary>Host name, UTF-8.</summary>
    public ReadOnlySpan<byte> HostUtf8 { get; }
    /// <summary>Host facts attribute list.</summary>
    public ReadOnlySpan<byte> FactBytes { get; }
    /// <summary>Number of VM records.</summary>
    public int VmCount { get; }
    /// <summary>The VM records.</summary>
    public VmRecordEnumerator Vms => new(_records);
    /// <summary>A reader over the facts.</summary>
    public AttrReader Facts => AttrReader.OverChecked(FactBytes);

    /// <summary>Offset of name_len in a STATE body: boot_id, sequence, report, page, pages and status come first.</summary>
    private const int NameLengthAt = 8 + 8 + 4 + 2 + 2 + 1;

    /// <summary>
    /// The host name bytes of a STATE body that has not been authenticated yet, to pick the key that must have
    /// signed it (spec §3.3): false when the body is too short to hold them. Nothing else is checked here.
    /// </summary>
    public static bool TryPeekHost(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> host)
    {
        host = default;
        if (body.Length <= NameLengthAt) return false;
        int length = body[NameLengthAt];
        if (body.Length < NameLengthAt + 1 + length) return false;
        host = body.Slice(NameLengthAt + 1, length);
        return true;
    }

    /// <summary>Parses and checks a STATE body (spec §6.1).
    /// <code>
    /// State {
    ///   boot_id   (64)
    ///   sequence  (64)
    ///   report    (32)
    ///   page      (16)
    ///   pages     (16)   // 0: event datagram
    ///   status    (8)    // bit 0 hypervisor unreachable, bit 1 stopping, bit 2 draining; others 0
    ///   name_len  (8)
    ///   name      (name_len)
    ///   facts_len (16)
    ///   facts     (facts_len)     // attribute list
    ///   records   (rest of body)  // VmRecord*
    /// }
    /// </code>
    /// </summary>
    public static StateView Parse(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        ulong boot = r.U64("boot_id");
        ulong seq = r.U64("sequence");
        uint report = r.U32("report");
        ushort page = r.U16("page");
        ushort pages = r.U16("pages");
        byte status = r.U8("status");
        var host = r.Str8("host name");
        int factsLength = r.U16("facts_len");
        var facts = r.Bytes(factsLength, "facts");
        var records = r.Rest();

        if (boot == 0) Throw.BadValue("state boot_id is 0");
        if (seq == 0) Throw.BadValue("state sequence is 0; sequences start at 1");
        if ((status & ~0x0F) != 0) Throw.ReservedBits("state status", status);
        if (pages == 0 ? report != 0 || page != 0 : page >= pages) BadPage(page, pages);
        if (!Validation.IsName(host)) Throw.BadValue("state host name is not a valid name");
        AttrReader.Validate(facts);
        int count = 0;
        for (var rest = records; !rest.IsEmpty; count++)
            rest = rest[VmRecordView.Parse(rest, out _)..];
        return new StateView(boot, seq, report, page, pages, (HostStatus)status, host, facts, records, count);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn, System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void BadPage(ushort page, ushort pages) =>
        Throw.BadValue(pages == 0 ? "an event datagram (pages 0) must have report 0 and page 0" : $"page {page} is not below pages {pages}");
}
