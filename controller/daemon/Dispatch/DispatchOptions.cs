// How long the controller waits for hosts, how hard it retries, and how much it asks of one host at a time.
using Vmm.Protocol;

namespace Vmm.Controller.Dispatch;

/// <summary>Settings of the <see cref="Dispatcher"/>. The defaults suit a production cluster.</summary>
internal sealed record DispatchOptions
{
    /// <summary>How long a quick request (start, pause, ping, ...) may take, from the call to its ACK.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long add, stop, migrate, delete and snapshot may take: they copy disks or wait for guests.</summary>
    public TimeSpan LongRequestTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How many times a busy answer is retried (with the same request id) before busy is reported.</summary>
    public int BusyRetries { get; init; } = 5;

    /// <summary>The first wait after a busy answer; it doubles with each retry, up to <see cref="BusyBackoffMax"/>.</summary>
    public TimeSpan BusyBackoffInitial { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between busy retries.</summary>
    public TimeSpan BusyBackoffMax { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The first wait after a failed connect; it doubles with each failure, up to <see cref="ReconnectBackoffMax"/>.</summary>
    public TimeSpan ReconnectBackoffInitial { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between connect attempts to an unreachable host.</summary>
    public TimeSpan ReconnectBackoffMax { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Requests in flight to one host at most; further ones wait for a slot (their deadline runs meanwhile).</summary>
    public int MaxInFlightPerHost { get; init; } = 32;

    /// <summary>
    /// A request with no ACK after this long is sent again, same id, on a fresh connection (the old one stays
    /// for what it carries): a connection stalled in TCP's retransmission backoff must not hold every request
    /// to its host behind it (spec §7.6). Zero: never.
    /// </summary>
    public TimeSpan HedgeAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Hedged sends of one request at most; each waits twice as long as the one before.</summary>
    public int MaxHedges { get; init; } = 2;

    /// <summary>Connections a host's link may keep open beside its current one, each carrying requests sent
    /// before a hedge replaced it; when this many are held, a request is not hedged.</summary>
    public int MaxRetiredConnections { get; init; } = 4;

    /// <summary>Connections a host's link keeps open and proven beside its current one while hedging is on, for hedges
    /// to take at once (0: none; a hedge then connects).</summary>
    public int SpareConnections { get; init; } = 2;

    /// <summary>How long one TCP connect may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A connection with nothing in flight for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Requests kept, newest first, with their signed bytes and final result, to be sent again by id (spec §7.4).</summary>
    public int MaxRecentRequests { get; init; } = 4096;

    /// <summary>
    /// How long the controller waits for the ACK of a request: a <c>timeout-ms</c> the caller passed is the
    /// deadline itself (spec §5.3), except for stop, where it is the guest's shutdown time (0: destroy at once)
    /// and the host needs <see cref="RequestTimeout"/> on top to answer; otherwise the deadline of the request's kind.
    /// </summary>
    public TimeSpan TimeoutFor(RequestCode code, AttrList parameters)
    {
        if (parameters.Number(AttrType.TimeoutMs) is { } ms)
        {
            var stated = TimeSpan.FromMilliseconds(ms);
            if (code == RequestCode.Stop) return Min(stated + RequestTimeout, LongestDeadline);
            if (ms > 0) return Min(stated, LongestDeadline);
        }
        return code is RequestCode.Add or RequestCode.Stop or RequestCode.Migrate or RequestCode.Delete or RequestCode.Snapshot
            ? LongRequestTimeout
            : RequestTimeout;
    }

    // The longest a timer can wait (about 49 days); a u32 timeout-ms plus RequestTimeout can exceed it.
    private static readonly TimeSpan LongestDeadline = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Positive(RequestTimeout, nameof(RequestTimeout));
        Positive(LongRequestTimeout, nameof(LongRequestTimeout));
        Positive(BusyBackoffInitial, nameof(BusyBackoffInitial));
        Positive(BusyBackoffMax, nameof(BusyBackoffMax));
        Positive(ReconnectBackoffInitial, nameof(ReconnectBackoffInitial));
        Positive(ReconnectBackoffMax, nameof(ReconnectBackoffMax));
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(IdleTimeout, nameof(IdleTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(BusyRetries, nameof(BusyRetries));
        if (HedgeAfter < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(HedgeAfter), HedgeAfter, "HedgeAfter must not be negative");
        ArgumentOutOfRangeException.ThrowIfNegative(MaxHedges, nameof(MaxHedges));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetiredConnections, nameof(MaxRetiredConnections));
        ArgumentOutOfRangeException.ThrowIfNegative(SpareConnections, nameof(SpareConnections));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInFlightPerHost, 1, nameof(MaxInFlightPerHost));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRecentRequests, nameof(MaxRecentRequests));
    }

    /// <summary>A duration as messages and logs give it: seconds, up to three decimals.</summary>
    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive");
    }
}
