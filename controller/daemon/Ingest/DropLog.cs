// Rate-limited logging of dropped datagrams: at most one line per host (or, for senders not known as a
// host, per reason overall) and reason every 10 seconds, saying how many were dropped in between.
// Ingest thread only.
using NLog;

namespace Vmm.Controller;

internal sealed class DropLog(Logger log, Func<long> clock)
{
    public const long IntervalMs = 10_000;

    // Senders not attributable to a host: one throttle per reason.
    private readonly long[] _unknownWarnedAt = new long[DropReasons.Count];
    private readonly long[] _unknownSuppressed = new long[DropReasons.Count];
    private readonly bool[] _unknownLogged = new bool[DropReasons.Count];

    /// <summary>
    /// Notes a drop; true when a line is due for this host (or unknown sender) and reason, with the drops
    /// left unlogged since the previous line. Allocates nothing when it answers false.
    /// </summary>
    public bool Due(HostEntry? host, DropReason reason, out long suppressed)
    {
        suppressed = 0;
        if (!log.IsEnabled(reason.IsBenign() ? LogLevel.Debug : LogLevel.Warn)) return false;
        long now = clock();
        int i = (int)reason;
        if (host is not null)
        {
            host.WarnedAt ??= new long[DropReasons.Count];
            host.Suppressed ??= new long[DropReasons.Count];
            if (host.WarnedAt[i] != 0 && now - host.WarnedAt[i] < IntervalMs)
            {
                host.Suppressed[i]++;
                return false;
            }
            host.WarnedAt[i] = now == 0 ? 1 : now;
            suppressed = host.Suppressed[i];
            host.Suppressed[i] = 0;
            return true;
        }
        if (_unknownLogged[i] && now - _unknownWarnedAt[i] < IntervalMs)
        {
            _unknownSuppressed[i]++;
            return false;
        }
        _unknownLogged[i] = true;
        _unknownWarnedAt[i] = now;
        suppressed = _unknownSuppressed[i];
        _unknownSuppressed[i] = 0;
        return true;
    }

    /// <summary>Writes the line that <see cref="Due"/> allowed.</summary>
    public void Write(HostEntry? host, PeerAddress from, DropReason reason, string detail, long suppressed)
    {
        string who = host is null ? from.ToString() : $"host {host.Name} ({from})";
        string more = suppressed == 0 ? "" : $" ({suppressed} more {reason.Name()} drops since the last line)";
        log.Log(reason.IsBenign() ? LogLevel.Debug : LogLevel.Warn, "dropped STATE datagram from {0}: {1}: {2}{3}", who, reason.Name(), detail, more);
    }
}
