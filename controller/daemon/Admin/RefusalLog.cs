// Rate-limited warnings of the admin socket: refused connections, bad PDUs and idle connections closed. A local
// user who opens connections in a loop, or sends garbage, gets at most one line per uid and reason every
// 10 seconds (DropLog's interval for UDP drops), each saying how many went unlogged since the previous one.
using NLog;
using Vmm.Controller.Ingest;

namespace Vmm.Controller.Admin;

internal sealed class RefusalLog(Logger log, Func<long>? clock = null)
{
    /// <summary>Sources (uid and reason) remembered at most; beyond it, lines of new sources share one entry.</summary>
    public const int MaxSources = 1024;

    private readonly Func<long> _clock = clock ?? (static () => Environment.TickCount64);
    private readonly Lock _gate = new();
    private readonly Dictionary<(uint Uid, string Reason), Entry> _entries = [];
    private long _refused;

    /// <summary>Everything refused or closed so far (connections over a bound, bad PDUs, idle connections).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    // By reason: the reasons are the callers' constants (refused, idle, overload, bad-pdu), so the table stays small.
    // Seeded with the reasons the admin socket uses, so that each is exposed (at 0) before it first happens.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Runtime.CompilerServices.StrongBox<long>> _byReason = new(
        ((string[])["refused", "idle", "overload", "bad-pdu"]).Select(r => KeyValuePair.Create(r, new System.Runtime.CompilerServices.StrongBox<long>())));

    /// <summary>The counts so far by reason, each reason once it has happened.</summary>
    public IEnumerable<(string Reason, long Count)> ByReason() =>
        _byReason.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, Interlocked.Read(ref p.Value.Value)));

    /// <summary>Counts one refusal of <paramref name="reason"/> for <paramref name="uid"/>, and logs
    /// <paramref name="line"/> (made only then) when a line is due.</summary>
    public void Warn(uint uid, string reason, Func<string> line)
    {
        Interlocked.Increment(ref _refused);
        Interlocked.Increment(ref _byReason.GetOrAdd(reason, static _ => new()).Value);
        if (!log.IsWarnEnabled) return;
        long suppressed;
        lock (_gate)
        {
            long now = _clock();
            var key = (uid, reason);
            if (!_entries.TryGetValue(key, out var entry))
            {
                if (_entries.Count >= MaxSources) Purge(now);
                if (_entries.Count >= MaxSources) key = (uint.MaxValue, "other");
                entry = _entries.GetValueOrDefault(key) ?? (_entries[key] = new Entry());
            }
            if (now < entry.NextAt)
            {
                entry.Suppressed++;
                return;
            }
            entry.NextAt = now + DropLog.IntervalMs;
            suppressed = entry.Suppressed;
            entry.Suppressed = 0;
        }
        log.Warn(suppressed == 0 ? line() : $"{line()} ({suppressed} more like it from uid {uid} since the last line)");
    }

    private void Purge(long now)
    {
        foreach (var (key, entry) in _entries)
            if (now >= entry.NextAt && entry.Suppressed == 0) _entries.Remove(key);
    }

    private sealed class Entry
    {
        public long NextAt;
        public long Suppressed;
    }
}
