using System.Net;

namespace Vmm.Controller.Inventory;

/// <summary>A host named in the configuration: it is listed (state unknown) before it is first heard, and
/// requests for it go to <see cref="Endpoint"/> when one is given instead of the address of its datagrams
/// (for a host that sends from another interface than the one hostd listens on).</summary>
internal sealed record HostPin(string Name, IPEndPoint? Endpoint = null);

/// <summary>How the inventory judges hosts (spec §6.6) and what it bounds (spec §12).</summary>
internal sealed record InventoryOptions
{
    /// <summary>The hosts' heartbeat interval (hostd's complete-report period).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Missed heartbeat intervals after which a host is down and a new boot may replace its current one.</summary>
    public int DownAfter { get; init; } = 3;

    /// <summary>Hosts the inventory holds at most; datagrams naming more are dropped (host-limit).</summary>
    public int MaxHosts { get; init; } = 16384;

    /// <summary>A host silent this long is forgotten with its VMs (pinned hosts are kept, as never heard).</summary>
    public TimeSpan ForgetAfter { get; init; } = TimeSpan.FromHours(24);

    /// <summary>VMs held per host at most; records of further VMs are skipped and logged.</summary>
    public int MaxVmsPerHost { get; init; } = 8192;

    /// <summary>Bytes of changes a watcher may fall behind (by <see cref="Watcher.CostOf"/>) before it is dropped,
    /// so that a slow client never stalls ingest nor grows the controller: 512 KiB, about 2,000 VM changes.</summary>
    public long MaxWatchQueueBytes { get; init; } = DefaultMaxWatchQueueKib * 1024L;

    /// <summary>The default of <see cref="MaxWatchQueueBytes"/>, in KiB (the setting's unit).</summary>
    public const int DefaultMaxWatchQueueKib = 512;

    /// <summary>Events the history holds (spec §7.7, max-events); the oldest is evicted for a new one. 0 keeps none.</summary>
    public int MaxEvents { get; init; } = Events.EventLog.DefaultCapacity;

    /// <summary>Hosts pinned by configuration.</summary>
    public IReadOnlyList<HostPin> Pins { get; init; } = [];

    /// <summary>Retired boot ids kept per host (spec §6.6: the reference implementation keeps 16).</summary>
    public const int RetiredBoots = 16;

    /// <summary>Sequences of datagrams applied from ACKs kept per host, to know their UDP copies (spec §7.2, state):
    /// as many as requests a host may have answered while one datagram is on its way.</summary>
    public const int CarriedRemembered = 8;

    internal long DownAfterMs => Math.Max(1, (long)(HeartbeatInterval.TotalMilliseconds * DownAfter));
}

/// <summary>What a request to forget a host came to.</summary>
internal enum ForgetOutcome { Forgotten, NotFound, Pinned }
