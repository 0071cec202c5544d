// Rate-limited logging of dropped datagrams: at most one line per host (or, for senders not known as a
// host, per reason overall) and reason every 10 seconds, saying how many were dropped in between.
// Ingest thread only.
using NLog;
using Vmm.Controller.Inventory;

namespace Vmm.Controller.Ingest;

internal sealed class DropLog(Logger log, Func<long> clock)
{
    public const long IntervalMs = 10_000;

    // Senders not attributable to a host share one throttle.
    private readonly DropThrottle _unknown = new();

    /// <summary>
    /// Notes a drop; true when a line is due for this host (or unknown sender) and reason, with the drops
    /// left unlogged since the previous line. Allocates nothing when it answers false.
    /// </summary>
    public bool Due(HostEntry? host, DropReason reason, out long suppressed)
    {
        suppressed = 0;
        if (!log.IsEnabled(reason.IsBenign() ? LogLevel.Debug : LogLevel.Warn)) return false;
        var throttle = host is null ? _unknown : host.Drops ??= new DropThrottle();
        return throttle.Due(reason, clock(), out suppressed);
    }

    /// <summary>Writes the line that <see cref="Due"/> allowed.</summary>
    public void Write(HostEntry? host, PeerAddress from, DropReason reason, string detail, long suppressed)
    {
        string who = host is null ? from.ToString() : $"host {host.Name} ({from})";
        string more = suppressed == 0 ? "" : $" ({suppressed} more {reason.Name()} drops since the last line)";
        log.Log(reason.IsBenign() ? LogLevel.Debug : LogLevel.Warn, "dropped STATE datagram from {0}: {1}: {2}{3}", who, reason.Name(), detail, more);
    }
}

/// <summary>For one sender: when a line about each drop reason may next be written, and how many drops went
/// unlogged since the last one. Ingest thread only.</summary>
internal sealed class DropThrottle
{
    private readonly long[] _nextAt = new long[DropReasons.Count];
    private readonly long[] _suppressed = new long[DropReasons.Count];

    /// <summary>True when a line about <paramref name="reason"/> is due at <paramref name="now"/> (monotonic ms, never negative).</summary>
    public bool Due(DropReason reason, long now, out long suppressed)
    {
        int i = (int)reason;
        if (now < _nextAt[i])
        {
            _suppressed[i]++;
            suppressed = 0;
            return false;
        }
        _nextAt[i] = now + DropLog.IntervalMs;
        suppressed = _suppressed[i];
        _suppressed[i] = 0;
        return true;
    }
}
