// Usage of every running VM from one virConnectGetAllDomainStats call (spec §16): the typed parameters of each
// record folded into UsageCounters by name, summing disks and NICs, with no allocation per VM beyond the list's
// growth. The test driver reports only state: a VM without cpu.time takes virDomainGetInfo's CPU time instead.
using System.Runtime.InteropServices;
using Vmm.Hostd.Interop;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Libvirt;

internal sealed unsafe class UsageReader : IStatsSink
{
    private List<VmUsageSample>? _into;

    /// <summary>The stats asked of libvirt: CPU, balloon, interfaces and block devices.</summary>
    public const uint Stats = LibvirtApi.StatsCpuTotal | LibvirtApi.StatsBalloon | LibvirtApi.StatsInterface | LibvirtApi.StatsBlock;

    /// <summary>Appends the usage of every running VM on <paramref name="conn"/> to <paramref name="into"/>.</summary>
    public void Read(ConnectionHandle conn, List<VmUsageSample> into)
    {
        _into = into;
        try
        {
            LibvirtApi.GetAllDomainStats(conn, Stats, this);
        }
        finally
        {
            _into = null;
        }
    }

    void IStatsSink.Add(VirDomainStatsRecord* record)
    {
        if (LibvirtApi.GetUuidOfBorrowed(record->Dom) is not { } uuid) return;
        var acc = new UsageAccumulator();
        for (int i = 0; i < record->NParams; i++)
        {
            var p = &record->Params[i];
            if (p->Count is not { } value) continue;
            var field = new ReadOnlySpan<byte>(p->Field, VirTypedParameter.FieldLength);
            int end = field.IndexOf((byte)0);
            acc.Take(end < 0 ? field : field[..end], value);
        }
        var counters = acc.Finish();
        if (!counters.Has(AttrType.CpuTimeNs) && LibvirtApi.GetInfoOfBorrowed(record->Dom) is { } info)
            counters.Set(AttrType.CpuTimeNs, info.CpuTime);
        _into!.Add(new VmUsageSample(uuid, counters));
    }
}

/// <summary>
/// Folds libvirt's stats parameters of one domain into usage counters (spec §16, §5.3 0x70-0x7A): cpu.time;
/// balloon.current; mem-used from balloon.available − balloon.unused when the guest reports both, else balloon.rss;
/// block.N.{rd,wr}.{bytes,reqs} and net.N.{rx,tx}.{bytes,pkts} summed. Names it does not know are ignored.
/// </summary>
internal struct UsageAccumulator
{
    private UsageCounters _c;
    private ulong _available, _unused, _rss;
    private byte _memory;   // bit 0 available, 1 unused, 2 rss

    public void Take(ReadOnlySpan<byte> name, ulong value)
    {
        if (name.SequenceEqual("cpu.time"u8)) _c.Set(AttrType.CpuTimeNs, value);
        else if (name.StartsWith("balloon."u8)) Balloon(name["balloon."u8.Length..], value);
        else if (name.StartsWith("block."u8)) Device(name, value, "block.count"u8, AttrType.DiskReadBytes);
        else if (name.StartsWith("net."u8)) Device(name, value, "net.count"u8, AttrType.NetRxBytes);
    }

    private void Balloon(ReadOnlySpan<byte> what, ulong value)
    {
        if (what.SequenceEqual("current"u8)) _c.Set(AttrType.MemBalloon, value);
        else if (what.SequenceEqual("available"u8)) { _available = value; _memory |= 1; }
        else if (what.SequenceEqual("unused"u8)) { _unused = value; _memory |= 2; }
        else if (what.SequenceEqual("rss"u8)) { _rss = value; _memory |= 4; }
    }

    // block.N.rd.bytes, block.N.wr.bytes, block.N.rd.reqs, block.N.wr.reqs (first = disk-read-bytes), and
    // net.N.rx.bytes, net.N.tx.bytes, net.N.rx.pkts, net.N.tx.pkts (first = net-rx-bytes): the four counters
    // follow each other in that order in both families. The count makes them present (0) with no device.
    private void Device(ReadOnlySpan<byte> name, ulong value, ReadOnlySpan<byte> count, AttrType first)
    {
        if (name.SequenceEqual(count))
        {
            for (var t = first; t < first + 4; t++) _c.Add(t, 0);
            return;
        }
        int offset = first == AttrType.DiskReadBytes ? Suffix(name, "rd.bytes"u8, "wr.bytes"u8, "rd.reqs"u8, "wr.reqs"u8)
            : Suffix(name, "rx.bytes"u8, "tx.bytes"u8, "rx.pkts"u8, "tx.pkts"u8);
        if (offset >= 0) _c.Add((AttrType)((int)first + offset), value);
    }

    // Which of the four suffixes ends name after ".N." (the device's index); -1 for none.
    private static int Suffix(ReadOnlySpan<byte> name, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, ReadOnlySpan<byte> d)
    {
        int dot = name.IndexOf((byte)'.');
        var rest = name[(dot + 1)..];
        int second = rest.IndexOf((byte)'.');
        if (second <= 0 || !IsDigits(rest[..second])) return -1;
        var tail = rest[(second + 1)..];
        return tail.SequenceEqual(a) ? 0 : tail.SequenceEqual(b) ? 1 : tail.SequenceEqual(c) ? 2 : tail.SequenceEqual(d) ? 3 : -1;
    }

    private static bool IsDigits(ReadOnlySpan<byte> s) => !s.ContainsAnyExceptInRange((byte)'0', (byte)'9');

    /// <summary>The counters, mem-used chosen from what the balloon reported.</summary>
    public UsageCounters Finish()
    {
        if ((_memory & 3) == 3 && _available >= _unused) _c.Set(AttrType.MemUsed, _available - _unused);
        else if ((_memory & 4) != 0) _c.Set(AttrType.MemUsed, _rss);
        return _c;
    }
}
