namespace Vmm.Controller.Inventory;

/// <summary>Fleet-wide datagram counters: accepted, and dropped by reason. Written by the ingest thread,
/// read by anyone (logs, the bench, tests).</summary>
internal sealed class IngestCounters
{
    private long _accepted;
    private readonly long[] _dropped = new long[DropReasons.Count];

    public long Accepted => Volatile.Read(ref _accepted);

    public long Dropped(DropReason reason) => Volatile.Read(ref _dropped[(int)reason]);

    public long DroppedTotal
    {
        get
        {
            long n = 0;
            foreach (var r in DropReasons.All) n += Dropped(r);
            return n;
        }
    }

    /// <summary>VM records ignored because their host already held the most VMs allowed.</summary>
    public long VmsOverLimit => Volatile.Read(ref _vmsOverLimit);

    private long _vmsOverLimit;

    internal void CountVmOverLimit() => Interlocked.Increment(ref _vmsOverLimit);

    /// <summary>Datagrams dropped before a host could be named (framing, authentication, body): charged to no host.</summary>
    public long Unattributed => Volatile.Read(ref _unattributed);

    private long _unattributed;

    internal void CountUnattributed() => Interlocked.Increment(ref _unattributed);

    /// <summary>Hosts forgotten for being silent for forget-after.</summary>
    public long Forgotten => Volatile.Read(ref _forgotten);

    private long _forgotten;

    internal void CountForgotten() => Interlocked.Increment(ref _forgotten);

    /// <summary>New boots adopted at once from an authenticated ACK (spec §6.6), not by the silence rule.</summary>
    public long BootsAdopted => Volatile.Read(ref _bootsAdopted);

    private long _bootsAdopted;

    internal void CountBootAdopted() => Interlocked.Increment(ref _bootsAdopted);

    /// <summary>Datagrams applied from an ACK (spec §7.2, state), and UDP copies of those that came after them
    /// (applied once, dropped by neither).</summary>
    public long Carried => Volatile.Read(ref _carried);
    public long CarriedEchoes => Volatile.Read(ref _carriedEchoes);

    private long _carried, _carriedEchoes;

    internal void CountCarried() => Interlocked.Increment(ref _carried);

    internal void CountCarriedEcho() => Interlocked.Increment(ref _carriedEchoes);

    /// <summary>USAGE datagrams applied (spec §16); dropped for a boot that is not the host's current one (or a host not
    /// heard yet); and usage records ignored (a VM not held, or a sample not newer than the one held).</summary>
    public long UsageAccepted => Volatile.Read(ref _usageAccepted);
    public long UsageStale => Volatile.Read(ref _usageStale);
    public long UsageRecordsIgnored => Volatile.Read(ref _usageIgnored);

    private long _usageAccepted, _usageStale, _usageIgnored;

    internal void CountUsage(bool accepted, int ignored)
    {
        Interlocked.Increment(ref accepted ? ref _usageAccepted : ref _usageStale);
        if (ignored > 0) Interlocked.Add(ref _usageIgnored, ignored);
    }

    internal void CountAccepted() => Interlocked.Increment(ref _accepted);

    internal void CountDropped(DropReason reason) => Interlocked.Increment(ref _dropped[(int)reason]);
}
