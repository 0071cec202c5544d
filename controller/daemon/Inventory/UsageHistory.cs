// The two newest usage samples of one VM (spec §16.3), and the rates between them (§16.4). Kept in the VM's entry,
// so its bound is the VMs-per-host bound; made at the VM's first sample and overwritten in place after that.
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Inventory;

/// <summary>A VM's newest and previous usage samples. Guarded by its host's lock.</summary>
internal sealed class UsageHistory
{
    /// <summary>The hostd boot that sent the newest sample.</summary>
    public ulong Boot { get; private set; }

    /// <summary>hostd's clock at the newest sample, ms.</summary>
    public ulong NewestAt { get; private set; }

    /// <summary>The newest counters.</summary>
    public UsageCounters Newest;

    /// <summary>hostd's clock at the previous sample, ms; meaningful while <see cref="HasPrevious"/>.</summary>
    public ulong PreviousAt { get; private set; }

    /// <summary>The previous counters: the base of the rates.</summary>
    public UsageCounters Previous;

    /// <summary>Whether there is a previous sample of the same boot whose counters are not above the newest.</summary>
    public bool HasPrevious { get; private set; }

    /// <summary>The sender's usage interval, ms.</summary>
    public uint IntervalMs { get; private set; }

    /// <summary>This controller's clock when the newest sample arrived, ms.</summary>
    public long ReceivedMs { get; private set; }

    /// <summary>
    /// Takes a sample (spec §16.3): false when it is not newer than the newest held of the same boot (a duplicate, a
    /// replay, or a page overtaken by the next sample). A counter that went down, or a new boot, makes it a new base.
    /// </summary>
    public bool Take(ulong boot, ulong sampledMs, uint intervalMs, in UsageCounters counters, long now)
    {
        if (boot == Boot && sampledMs <= NewestAt) return false;
        HasPrevious = boot == Boot && !Decreased(Newest, counters);
        if (HasPrevious)
        {
            Previous = Newest;
            PreviousAt = NewestAt;
        }
        Newest = counters;
        NewestAt = sampledMs;
        Boot = boot;
        IntervalMs = intervalMs;
        ReceivedMs = now;
        return true;
    }

    /// <summary>Whether the newest sample is recent enough to show: younger than three of its intervals.</summary>
    public bool Fresh(long now) => now - ReceivedMs < 3L * Math.Max(IntervalMs, 1000u);

    /// <summary>Milliseconds between the previous and the newest sample; 0 when there is no rate.</summary>
    public ulong SpanMs => HasPrevious ? NewestAt - PreviousAt : 0;

    /// <summary>The newest counters and their growth, while fresh; null when stale or never sampled.</summary>
    public UsageSnapshot? Snapshot(long now)
    {
        if (!Fresh(now)) return null;
        var growth = new UsageCounters();
        for (var t = UsageCounters.First; t <= UsageCounters.Last; t++)
            if (IsCounter(t) && Delta(t) is { } d) growth.Set(t, d);
        return new UsageSnapshot(Newest, growth, SpanMs);
    }

    /// <summary>How much <paramref name="type"/> grew between the two samples; null when there is no rate for it.</summary>
    public ulong? Delta(AttrType type) =>
        HasPrevious && Newest.Has(type) && Previous.Has(type) ? Newest[type] - Previous[type] : null;

    /// <summary>Whether <paramref name="type"/> only grows while the VM's process runs (spec §16.1); memory in use and
    /// the balloon are gauges: they have no rate and going down resets nothing.</summary>
    private static bool IsCounter(AttrType type) => type is not (AttrType.MemUsed or AttrType.MemBalloon);

    private static bool Decreased(in UsageCounters before, in UsageCounters after)
    {
        for (var t = UsageCounters.First; t <= UsageCounters.Last; t++)
            if (IsCounter(t) && before.Has(t) && after.Has(t) && after[t] < before[t]) return true;
        return false;
    }
}

/// <summary>A VM's usage at one moment, as queries show it: its newest counters, and their growth over
/// <see cref="SpanMs"/> (no growth present: no rate yet).</summary>
internal readonly record struct UsageSnapshot(UsageCounters Newest, UsageCounters Growth, ulong SpanMs)
{
    /// <summary>The counters and the usage-delta of a VM PDU (spec §5.3, §16.4).</summary>
    public void AddTo(AttrList attrs)
    {
        for (var t = UsageCounters.First; t <= UsageCounters.Last; t++)
            if (Newest.Has(t)) attrs.Add(t, Newest[t]);
        if (SpanMs == 0 || Growth.IsEmpty) return;
        var delta = new AttrList().Add(AttrType.DurationUs, SpanMs * 1000);
        for (var t = UsageCounters.First; t <= UsageCounters.Last; t++)
            if (Growth.Has(t)) delta.Add(t, Growth[t]);
        attrs.Add(AttrType.UsageDelta, delta);
    }
}

/// <summary>A host's usage: its VMs' memory in use, and their CPU time over <see cref="SpanMs"/> (0: no rate).</summary>
internal readonly record struct HostUsage(ulong? MemUsedKib, ulong CpuNs, ulong SpanMs, int Vms)
{
    /// <summary>The sum over a host's VMs, each VM's CPU time scaled to the longest span among them.</summary>
    public static HostUsage? Of(IEnumerable<VmEntry> vms, long now)
    {
        ulong? mem = null;
        ulong span = 0;
        double cpuPerMs = 0;
        int n = 0;
        foreach (var vm in vms)
        {
            if (vm.Usage is not { } u || !u.Fresh(now)) continue;
            n++;
            if (u.Newest.Has(AttrType.MemUsed)) mem = (mem ?? 0) + u.Newest[AttrType.MemUsed];
            if (u.Delta(AttrType.CpuTimeNs) is { } cpu && u.SpanMs > 0)
            {
                cpuPerMs += cpu / (double)u.SpanMs;
                span = Math.Max(span, u.SpanMs);
            }
        }
        return n == 0 ? null : new HostUsage(mem, (ulong)(cpuPerMs * span), span, n);
    }

    /// <summary>mem-used (when any VM reported it) and usage-delta of a HOST PDU (spec §5.3, §16.4).</summary>
    public void AddTo(AttrList attrs)
    {
        if (MemUsedKib is { } mem) attrs.Add(AttrType.MemUsed, mem);
        if (SpanMs > 0) attrs.Add(AttrType.UsageDelta, new AttrList().Add(AttrType.DurationUs, SpanMs * 1000).Add(AttrType.CpuTimeNs, CpuNs));
    }
}
