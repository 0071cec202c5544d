// One host as the inventory holds it: the ordering state of spec §6.6 (current boot, newest sequence,
// retired boots, when it was last heard), its facts, its VMs and its counters. Every member is guarded
// by Gate, except the ingest-only fields at the end.
using System.Net;
using System.Text;
using Vmm.Controller.Ingest;
using Vmm.Protocol;

namespace Vmm.Controller.Inventory;

internal sealed class HostEntry
{
    private readonly ulong[] _retired = new ulong[InventoryOptions.RetiredBoots];
    private int _retiredNext;

    public HostEntry(byte[] nameUtf8, HostPin? pin)
    {
        NameUtf8 = nameUtf8;
        Name = Encoding.UTF8.GetString(nameUtf8);
        Pin = pin;
    }

    public Lock Gate { get; } = new();

    public byte[] NameUtf8 { get; }

    public string Name { get; }

    public HostPin? Pin { get; }

    /// <summary>The current boot; 0 when none (never heard, or its last boot said stopping).</summary>
    public ulong BootId { get; private set; }

    /// <summary>Newest accepted sequence.</summary>
    public ulong Sequence { get; set; }

    public bool Heard { get; set; }

    /// <summary>A complete report of the host has been applied since this controller started: every VM the host
    /// had then is known here.</summary>
    public bool Reported { get; set; }

    /// <summary>Monotonic ms of the newest accepted datagram.</summary>
    public long LastHeardMs { get; set; }

    public bool Unreachable { get; set; }

    /// <summary>The host's newest accepted datagram carried the draining status bit (spec §6.1): the mark is the
    /// host's, kept on its disk, so a restarted controller learns it from the first datagram it hears.</summary>
    public bool Draining { get; set; }
    /// <summary>The newest datagram said fenced: the host's lease lapsed and it fenced its HA VMs (spec §15).</summary>
    public bool Fenced { get; set; }

    /// <summary>The last boot ended with a stopping datagram and no new boot has been heard since.</summary>
    public bool Stopped { get; private set; }

    /// <summary>
    /// Whether <paramref name="sequence"/> of <paramref name="boot"/> is one of the last few datagrams applied from an
    /// ACK (spec §7.2, state): its copy by UDP is then an echo, neither applied again nor a drop.
    /// </summary>
    public bool WasCarried(ulong boot, ulong sequence) => boot == BootId && Array.IndexOf(_carried, sequence) >= 0;

    /// <summary>A datagram of the current boot was applied from an ACK.</summary>
    public void RememberCarried(ulong sequence)
    {
        _carried[_carriedNext] = sequence;
        _carriedNext = (_carriedNext + 1) % _carried.Length;
    }

    // The sequences of the last datagrams applied from ACKs (0: none); a new boot's start with none.
    private readonly ulong[] _carried = new ulong[InventoryOptions.CarriedRemembered];
    private int _carriedNext;

    /// <summary>The source address of the newest accepted datagram.</summary>
    public PeerAddress Address { get; set; }

    /// <summary>Monotonic ms of the last warning that the host's address or request port changed (rate limit), and
    /// the changes since that were not logged.</summary>
    public long RebindWarnedAt { get; set; }
    public long RebindsUnlogged { get; set; }

    public ulong Accepted { get; set; }

    public ulong Dropped { get; set; }

    /// <summary>The state last announced to watchers and the log.</summary>
    public HostState Announced { get; set; }

    /// <summary>The draining mark last announced to watchers.</summary>
    public bool AnnouncedDraining { get; set; }

    public HostFactSet Facts { get; } = new();

    public ReportProgress Report { get; } = new();

    public Dictionary<Guid, VmEntry> Vms { get; } = [];

    /// <summary>The host's newest usage sample (spec §16): its boot and time, the VMs whose records of it were taken, and when it
    /// arrived by this controller's clock with its interval. What the metrics bound counts, per host rather than per VM.</summary>
    public ulong UsageBoot, UsageSampleAt;
    public int UsageVms;
    public long UsageReceivedMs;
    public uint UsageIntervalMs;

    /// <summary>Whether the newest usage sample is younger than three of its intervals (as each VM's, spec §16.4).</summary>
    public bool UsageFresh(long now) => UsageVms > 0 && now - UsageReceivedMs < 3L * Math.Max(UsageIntervalMs, 1000u);

    // Ingest thread only: the throttle of this host's drop lines (made at its first drop), and when the bound
    // on VMs was last logged.
    public DropThrottle? Drops;
    public long VmLimitWarnedAt;

    public HostState StateAt(long now, long downAfterMs)
    {
        if (BootId == 0) return Stopped ? HostState.Stopped : HostState.Unknown;
        if (now - LastHeardMs >= downAfterMs) return HostState.Down;
        return Unreachable ? HostState.Unreachable : HostState.Up;
    }

    /// <summary>
    /// The ordering rules of spec §6.6 for a datagram of <paramref name="boot"/>/<paramref name="sequence"/>:
    /// <see cref="DropReason.None"/> when it is to be applied. A new boot that is accepted replaces the current
    /// one (which is retired), forgets the report being collected, and makes every record held older than any
    /// datagram of the new boot; the records themselves stay until the new boot's first complete report.
    /// </summary>
    public DropReason Admit(ulong boot, ulong sequence, long now, long downAfterMs, out ulong replaced)
    {
        replaced = 0;
        if (boot == BootId)
            return sequence > Sequence ? DropReason.None : sequence == Sequence ? DropReason.Duplicate : DropReason.Stale;
        if (IsRetired(boot)) return DropReason.RetiredBoot;
        if (BootId != 0 && now - LastHeardMs < downAfterMs) return DropReason.CompetingBoot;
        replaced = Replace(boot);
        return DropReason.None;
    }

    /// <summary>
    /// The boot that answered a request (or a probe) over TCP, in an ACK signed with this host's key: proof that
    /// hostd restarted, so it replaces the current boot at once, whatever the silence rule says (spec §6.6). The
    /// ACK answered a request id this controller just drew, so it cannot be a replay. False when
    /// <paramref name="boot"/> was retired (an old process still answering: nothing is adopted); true when it is
    /// current, or now is, and then <paramref name="replaced"/> is the boot it replaced (0 when it was current).
    /// </summary>
    public bool Adopt(ulong boot, long now, out ulong replaced)
    {
        replaced = 0;
        if (boot == BootId) return true;
        if (boot == 0 || IsRetired(boot)) return false;
        replaced = Replace(boot);
        // The new boot counts its sequences from its own start: none of the old boot's may hold them back.
        Sequence = 0;
        LastHeardMs = now;
        return true;
    }

    // A new boot takes over: the current one is retired, the report being collected is forgotten, and every
    // record held is made older than any datagram of the new boot. Returns the boot replaced (0: none).
    private ulong Replace(ulong boot)
    {
        if (BootId != 0) Retire(BootId);
        ulong replaced = BootId;
        BootId = boot;
        Stopped = false;
        Unreachable = false;
        Report.Reset();
        Array.Clear(_carried);
        foreach (var vm in Vms.Values)
        {
            vm.Sequence = 0;
            vm.SeenInReport = 0;
        }
        return replaced;
    }

    /// <summary>The boot said stopping: it is retired at once (spec §6.1) and the host shows as stopped.</summary>
    public void Stop()
    {
        Retire(BootId);
        BootId = 0;
        Stopped = true;
        Report.Reset();
    }

    /// <summary>Where requests for this host go: the pinned endpoint, else the address of its datagrams
    /// and its port fact (hostd's default port when it sent none).</summary>
    public IPEndPoint? RequestEndpoint()
    {
        if (Pin?.Endpoint is { } pinned) return pinned;
        var ip = Address.ToIPAddress();
        return ip is null ? null : new IPEndPoint(ip, Facts.Port ?? DefaultHostdPort);
    }

    /// <summary>hostd's default request port (spec §2).</summary>
    public const int DefaultHostdPort = 7401;

    /// <summary>Memory of the VMs that hold it now, KiB: what spec §5.3's memory-free subtracts, counted from the
    /// records as they arrive (an event datagram), where memory-free waits for the next report.</summary>
    public ulong UsedMemoryKib()
    {
        ulong n = 0;
        foreach (var vm in Vms.Values)
            if (vm.UsesCpus) n += vm.MemoryKib;
        return n;
    }

    /// <summary>vCPUs of the VMs that hold CPUs now.</summary>
    public uint UsedVcpus()
    {
        uint n = 0;
        foreach (var vm in Vms.Values)
            if (vm.UsesCpus) n += vm.Vcpus;
        return n;
    }

    private bool IsRetired(ulong boot) => Array.IndexOf(_retired, boot) >= 0;

    private void Retire(ulong boot)
    {
        _retired[_retiredNext] = boot;
        _retiredNext = (_retiredNext + 1) % _retired.Length;
    }
}
