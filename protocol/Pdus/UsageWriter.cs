using Vmm.Protocol.Internal;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// Writes one USAGE datagram straight into a buffer, record by record, allocating nothing: hostd's sender pages a
/// sample by adding records until <see cref="TryAdd"/> says the next one does not fit (spec §16.2). The page count is
/// known only at the end, so <see cref="Finish"/> patches it.
/// </summary>
public ref struct UsageWriter
{
    /// <summary>Body offset of the pages field (after boot_id, sampled_ms and page).</summary>
    private const int PagesAt = PduHeader.Size + 8 + 8 + 2;

    private WireWriter _w;

    /// <summary>Starts a USAGE PDU in <paramref name="buffer"/> of at most <paramref name="maxLength"/> bytes.</summary>
    public UsageWriter(Span<byte> buffer, ulong bootId, ulong sampledMs, ushort page, uint intervalMs, string host, int maxLength = PduHeader.MaxDatagram)
    {
        _w = new WireWriter(buffer, Math.Min(buffer.Length, maxLength) - PduHeader.TagSize);
        PduHeader.Write(_w.Take(PduHeader.Size), PduType.Usage, 0, 0);
        WriteFixed(ref _w, bootId, sampledMs, page, (ushort)(page + 1), intervalMs, host);
    }

    /// <summary>Records written so far.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes one record of <paramref name="counters"/> takes, its length field included.</summary>
    public static int RecordSize(in UsageCounters counters) => 2 + UsageRecordView.FixedSize + counters.EncodedSize;

    /// <summary>Appends a record if it fits; false (and nothing written) when it does not.</summary>
    public bool TryAdd(Guid uuid, in UsageCounters counters)
    {
        if (RecordSize(counters) > _w.Remaining) return false;
        int lengthAt = _w.Position;
        _w.U16(0);
        _w.Uuid(uuid);
        for (var t = UsageCounters.First; t <= UsageCounters.Last; t++)
        {
            if (!counters.Has(t)) continue;
            _w.U8((byte)t);
            _w.U16(8);
            _w.U64(counters[t]);
        }
        _w.PatchU16(lengthAt, (ushort)(_w.Position - lengthAt - 2));
        Count++;
        return true;
    }

    /// <summary>Sets pages, the length and the tag; returns the PDU's length.</summary>
    public readonly int Finish(ushort pages, ClusterKey? key)
    {
        _w.PatchU16(PagesAt, pages);
        return _w.Finish(key, 0);
    }

    /// <summary>
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
    internal static void WriteFixed(ref WireWriter w, ulong bootId, ulong sampledMs, ushort page, ushort pages, uint intervalMs, string host)
    {
        w.U64(bootId);
        w.U64(sampledMs);
        w.U16(page);
        w.U16(pages);
        w.U32(intervalMs);
        w.U8(0);                                   // flags: reserved
        w.Str8(host, Validation.MaxNameLength, "host name");
    }

    /// <summary>UsageRecord { length (16), uuid (128), attributes (rest) }.</summary>
    internal static void WriteRecord(ref WireWriter w, Guid uuid, AttrList attributes)
    {
        int lengthAt = w.Position;
        w.U16(0);
        w.Uuid(uuid);
        AttrCodec.Write(ref w, attributes);
        w.PatchU16(lengthAt, checked((ushort)(w.Position - lengthAt - 2)));
    }
}
