// Rate limiting of log lines a peer can cause (refused connections, bad PDUs): at most one line per source
// and reason every interval, which then says how many went unlogged since the previous one. The table of
// sources is bounded too: a peer with many addresses cannot make it grow, it only shares one throttle with
// the other sources past the bound.
namespace Vmm.Hosting.Logging;

/// <summary>Decides which lines about a (source, reason) pair are written. Thread-safe.</summary>
public sealed class LogThrottle
{
    /// <summary>The source every line is charged to once the table is full.</summary>
    public const string OtherSources = "other sources";

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Source, string Reason), Entry> _entries = [];
    private readonly long _intervalMs;
    private readonly int _maxEntries;
    private readonly Func<long> _clock;

    /// <summary>At most one line per <paramref name="interval"/> for each source and reason, over at most
    /// <paramref name="maxEntries"/> pairs; <paramref name="clock"/> is monotonic milliseconds (tests drive it).</summary>
    public LogThrottle(TimeSpan interval, int maxEntries = 1024, Func<long>? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 2);
        _intervalMs = (long)interval.TotalMilliseconds;
        _maxEntries = maxEntries;
        _clock = clock ?? (static () => Environment.TickCount64);
    }

    /// <summary>Pairs held now (at most the bound given).</summary>
    public int Count { get { lock (_gate) return _entries.Count; } }

    /// <summary>
    /// Notes one event; true when a line is due for it, with the events left unlogged since the previous line
    /// of that pair. <paramref name="source"/> becomes <see cref="OtherSources"/> when the table is full.
    /// </summary>
    public bool Due(ref string source, string reason, out long suppressed)
    {
        long now = _clock();
        lock (_gate)
        {
            if (!_entries.TryGetValue((source, reason), out var entry))
            {
                // The last place is kept for the shared entry.
                if (_entries.Count >= _maxEntries - 1) Prune(now);
                if (_entries.Count >= _maxEntries - 1) source = OtherSources;
                if (!_entries.TryGetValue((source, reason), out entry))
                    _entries[(source, reason)] = entry = new Entry { NextAt = long.MinValue };
            }
            if (now < entry.NextAt)
            {
                entry.Suppressed++;
                suppressed = 0;
                return false;
            }
            entry.NextAt = now + _intervalMs;
            suppressed = entry.Suppressed;
            entry.Suppressed = 0;
            return true;
        }
    }

    /// <summary>" (N more since the last line)", or "" for none: the tail of a throttled line.</summary>
    public static string More(long suppressed) => suppressed == 0 ? "" : $" ({suppressed} more since the last line)";

    // Pairs whose interval is over and that hold no unreported count say nothing a fresh entry would not.
    private void Prune(long now)
    {
        List<(string, string)>? stale = null;
        foreach (var (key, entry) in _entries)
            if (now >= entry.NextAt && entry.Suppressed == 0) (stale ??= []).Add(key);
        if (stale is null) return;
        foreach (var key in stale) _entries.Remove(key);
    }

    private sealed class Entry
    {
        public long NextAt;
        public long Suppressed;
    }
}
