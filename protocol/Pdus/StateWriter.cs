using System.Buffers.Binary;
using Vmm.Protocol.Internal;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// Writes one STATE datagram straight into a buffer, record by record, allocating nothing: the sender's hot
/// path (spec §6.5). A hostd keeps one <see cref="VmState"/> per VM, rebuilt only when the VM changes, and pages
/// a report by adding records until <see cref="TryAdd"/> says the next one does not fit.
/// <code>
/// var page = new StateWriter(buffer, boot, ++sequence, report, pageIndex, pages, status, host, facts);
/// while (i &lt; vms.Count &amp;&amp; page.TryAdd(vms[i])) i++;
/// socket.Send(buffer[..page.Finish(key)]);
/// </code>
/// </summary>
public ref struct StateWriter
{
    private WireWriter _w;

    /// <summary>Starts a STATE PDU in <paramref name="buffer"/> of at most <paramref name="maxLength"/> bytes (the datagram limit by default).</summary>
    public StateWriter(Span<byte> buffer, ulong bootId, ulong sequence, uint report, ushort page, ushort pages, HostStatus status,
        string host, AttrList? facts, int maxLength = PduHeader.MaxDatagram)
    {
        _w = new WireWriter(buffer, Math.Min(buffer.Length, maxLength) - PduHeader.TagSize);
        PduHeader.Write(_w.Take(PduHeader.Size), PduType.State, 0, 0);
        WriteFixed(ref _w, bootId, sequence, report, page, pages, status, host, facts);
    }

    /// <summary>Records written so far.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes left for records.</summary>
    public readonly int Remaining => _w.Remaining;

    /// <summary>Appends <paramref name="vm"/> if it fits; false (and nothing written) when it does not.</summary>
    public bool TryAdd(VmState vm)
    {
        if (vm.EncodedSize > _w.Remaining) return false;
        vm.Write(ref _w);
        Count++;
        return true;
    }

    /// <summary>Sets the length, signs with <paramref name="key"/> (or leaves the PDU unsigned) and returns the PDU's length.</summary>
    public readonly int Finish(ClusterKey? key) => _w.Finish(key, 0);

    /// <summary>
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
    internal static void WriteFixed(ref WireWriter w, ulong bootId, ulong sequence, uint report, ushort page, ushort pages,
        HostStatus status, string host, AttrList? facts)
    {
        w.U64(bootId);
        w.U64(sequence);
        w.U32(report);
        w.U16(page);
        w.U16(pages);
        w.U8((byte)status);
        w.Str8(host, Validation.MaxNameLength, "host name");
        int factsAt = w.Position;
        w.U16(0);
        AttrCodec.Write(ref w, facts);
        int factsLength = w.Position - factsAt - 2;
        if (factsLength > ushort.MaxValue) Throw.TooLong("state facts", factsLength, ushort.MaxValue);
        BinaryPrimitives.WriteUInt16BigEndian(w.Buffer.Slice(factsAt, 2), (ushort)factsLength);
    }
}
