namespace Vmm.Hostd.Libvirt;

/// <summary>Reconnect delays: doubling from <see cref="First"/> up to <see cref="Cap"/>, each with up to ±20% jitter
/// so that many hosts losing the same libvirtd (or a restart of it) do not retry in lockstep.</summary>
internal sealed class Backoff(TimeSpan first, TimeSpan cap)
{
    public static readonly TimeSpan DefaultFirst = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan DefaultCap = TimeSpan.FromSeconds(30);

    private TimeSpan _next = first;

    public TimeSpan First { get; } = first;
    public TimeSpan Cap { get; } = cap;

    /// <summary>The next delay, with jitter; the one after it is twice as long (up to the cap).</summary>
    public TimeSpan Next()
    {
        var delay = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, Cap.Ticks));
        double jitter = 0.8 + Random.Shared.NextDouble() * 0.4;
        return TimeSpan.FromTicks((long)(delay.Ticks * jitter));
    }

    /// <summary>After a success, start again from the first delay.</summary>
    public void Reset() => _next = First;
}
