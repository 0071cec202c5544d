// Usage (spec §16) as vmmctl shows it: the controller sends a VM's newest counters and their growth over the span
// between its two newest samples (usage-delta, §16.4); vmmctl divides. A HOST carries its VMs' memory in use and
// their CPU time over a span.
using System.Globalization;
using System.Text.Json;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Ctl.Output;

/// <summary>The usage figures of one VM or host, each null when the controller has no rate or counter for it.</summary>
internal readonly record struct Usage(double? CpuPercent, ulong? MemUsedKib, ulong? MemBalloonKib, double? DiskReadBps, double? DiskWriteBps,
    double? NetRxBps, double? NetTxBps, double? DiskOps, double? NetPackets)
{
    /// <summary>Disk bytes a second, read and written.</summary>
    public double? DiskBps => Sum(DiskReadBps, DiskWriteBps);

    /// <summary>Network bytes a second, received and sent.</summary>
    public double? NetBps => Sum(NetRxBps, NetTxBps);

    /// <summary>Whether the controller sent any usage at all.</summary>
    public bool Any => CpuPercent is not null || MemUsedKib is not null || DiskBps is not null || NetBps is not null;

    /// <summary>A VM's usage: CPU in percent of its vCPUs.</summary>
    public static Usage Of(AdminVmPdu v) => From(v.Attributes, Math.Max((int)v.Vm.Vcpus, 1));

    /// <summary>A host's usage: CPU in percent of its logical CPUs.</summary>
    public static Usage Of(AdminHostPdu h) => From(h.Attributes, (int)Math.Max(h.Attributes.Number(AttrType.Cpus) ?? 1, 1));

    private static Usage From(AttrList a, int cpus)
    {
        var delta = a.Find(AttrType.UsageDelta)?.Nested;
        double? seconds = delta?.Number(AttrType.DurationUs) is { } us and > 0 ? us / 1e6 : null;
        double? Rate(AttrType t) => seconds is { } s && delta!.Number(t) is { } d ? d / s : null;
        double? cpu = Rate(AttrType.CpuTimeNs) is { } ns ? ns / 1e9 / cpus * 100 : null;
        return new Usage(cpu, a.Number(AttrType.MemUsed), a.Number(AttrType.MemBalloon), Rate(AttrType.DiskReadBytes), Rate(AttrType.DiskWriteBytes),
            Rate(AttrType.NetRxBytes), Rate(AttrType.NetTxBytes), Sum(Rate(AttrType.DiskReads), Rate(AttrType.DiskWrites)),
            Sum(Rate(AttrType.NetRxPackets), Rate(AttrType.NetTxPackets)));
    }

    private static double? Sum(double? a, double? b) => a is null && b is null ? null : (a ?? 0) + (b ?? 0);

    /// <summary>CPU as a table shows it: 12.5%, or -.</summary>
    public string Cpu => CpuPercent is { } p ? p.ToString("0.0", CultureInfo.InvariantCulture) + "%" : "-";

    /// <summary>Memory in use as a table shows it: 1.5GiB, or -.</summary>
    public string Memory => MemUsedKib is { } m ? Human.Kib(m) : "-";

    /// <summary>A rate in bytes a second as a table shows it: 1.2MiB/s, 0B/s, or -.</summary>
    public static string PerSecond(double? bps) => bps is { } b ? Human.Bytes((ulong)Math.Round(b)) + "/s" : "-";

    /// <summary>The usage object of the JSON documents: every key present, null when unknown; sizes in bytes.</summary>
    public void Write(Utf8JsonWriter w, AttrList counters)
    {
        w.WriteStartObject("usage");
        Number(w, "cpu-percent", CpuPercent);
        w.NumberOrNull("mem-used", MemUsedKib * 1024);
        w.NumberOrNull("mem-balloon", MemBalloonKib * 1024);
        Number(w, "disk-read-bytes-per-s", DiskReadBps);
        Number(w, "disk-write-bytes-per-s", DiskWriteBps);
        Number(w, "disk-ops-per-s", DiskOps);
        Number(w, "net-rx-bytes-per-s", NetRxBps);
        Number(w, "net-tx-bytes-per-s", NetTxBps);
        Number(w, "net-packets-per-s", NetPackets);
        // The monotonic counters as the host sent them (spec §16): scripts can compute their own rates.
        foreach (var t in new[] { AttrType.CpuTimeNs, AttrType.DiskReadBytes, AttrType.DiskWriteBytes, AttrType.DiskReads, AttrType.DiskWrites,
                     AttrType.NetRxBytes, AttrType.NetTxBytes, AttrType.NetRxPackets, AttrType.NetTxPackets })
            w.NumberOrNull(AttrRegistry.Find((byte)t)!.Name, counters.Number(t));
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v) w.WriteNumber(name, Math.Round(v, 2));
        else w.WriteNull(name);
    }
}
