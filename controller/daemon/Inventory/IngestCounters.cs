namespace Vmm.Controller;

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

    internal void CountAccepted() => Interlocked.Increment(ref _accepted);

    internal void CountDropped(DropReason reason) => Interlocked.Increment(ref _dropped[(int)reason]);
}
