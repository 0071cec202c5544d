// What hostd needs from a hypervisor: the daemon (network, request-id cache, busy, state publishing)
// is written against this, libvirt (hostd/Libvirt) is the one real implementation, tests may fake it.
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd;

/// <summary>A hypervisor as hostd drives it. Every member but the events may block: callers keep them
/// off the heartbeat and network paths and put a deadline around them.</summary>
internal interface IHypervisor : IDisposable
{
    /// <summary>Whether the hypervisor answers now; false from losing it until the reconnect succeeds.</summary>
    bool Reachable { get; }

    /// <summary>Why the hypervisor is unreachable (one line), or null while it is reachable.</summary>
    string? UnreachableReason { get; }

    /// <summary>A lifecycle event for the VM with this uuid. Raised on the event-loop thread: handlers must not block.</summary>
    event Action<Guid>? VmChanged;

    /// <summary>Reachable changed (lost, or reconnected: after a reconnect every VM should be re-read).</summary>
    event Action<bool>? ReachabilityChanged;

    /// <summary>Connects, runs the event loop, and reconnects with capped, jittered backoff whenever the
    /// connection is lost, until <paramref name="stop"/> is cancelled. Completes after disconnecting.</summary>
    Task RunAsync(CancellationToken stop);

    /// <summary>Host facts: cpus, memory-total, hypervisor, migration-uri (memory-free is counted from the VMs by the daemon).</summary>
    AttrList ReadFacts();

    /// <summary>Every VM on the host now, as complete records (no last-request: the daemon adds it).</summary>
    /// <exception cref="HypervisorException">the hypervisor failed or is unreachable.</exception>
    IReadOnlyList<VmState> ReadAll();

    /// <summary>One VM now, or null when no VM has that uuid.</summary>
    /// <exception cref="HypervisorException">the hypervisor failed or is unreachable.</exception>
    VmState? Read(Guid uuid);

    /// <summary>Carries out a request whose code is known and is not ping (the daemon answers those itself),
    /// blocking until done. Never throws for a hypervisor error or bad parameters: those are outcomes.</summary>
    Outcome Execute(RequestPdu request);

    /// <summary>
    /// Fences every HA VM that runs here now (spec §15): destroys it, or with <paramref name="pause"/> pauses it
    /// (a paused one counts as fenced already). Returns one line per VM fenced ("web-01 (uuid)"), blocking until done.
    /// </summary>
    /// <exception cref="HypervisorException">the hypervisor failed or is unreachable.</exception>
    IReadOnlyList<string> FenceHa(bool pause);

    /// <summary>
    /// Appends the usage counters of every running VM to <paramref name="into"/> (spec §16), in one call to the
    /// hypervisor. A hypervisor that cannot tell appends nothing.
    /// </summary>
    /// <exception cref="HypervisorException">the hypervisor failed or is unreachable.</exception>
    void ReadUsage(List<VmUsageSample> into) { }

    /// <summary>
    /// From now on, before an HA VM starts or resumes (spec §15.3), <paramref name="leaseNotRunning"/> is asked; when
    /// it says why the lease is not running, the request is answered unavailable and nothing is done. A hypervisor
    /// that keeps no HA mark ignores it.
    /// </summary>
    void GateHaStarts(Func<string?> leaseNotRunning) { }
}

/// <summary>One VM's usage counters at the moment they were read.</summary>
internal readonly record struct VmUsageSample(Guid Uuid, UsageCounters Counters);

/// <summary>The content of an ACK: its code, the VM acted on (for add, the new uuid) and its results
/// (message, error-code, snapshot-name).</summary>
internal readonly record struct Outcome(AckCode Code, Guid Vm, AttrList Results)
{
    /// <summary>The ACK's flags: unchanged for a success that found the VM as asked already (spec §7.2).</summary>
    public AckFlags Flags { get; init; }

    public static Outcome Success(Guid vm, AttrList? results = null) => new(AckCode.Success, vm, results ?? []);

    /// <summary>A success that changed nothing, with one line saying how the VM is (spec §7.2, unchanged).</summary>
    public static Outcome Unchanged(Guid vm, string message) =>
        With(AckCode.Success, vm, message, null) with { Flags = AckFlags.Unchanged };

    public static Outcome Failure(Guid vm, string message, uint? errorCode = null) =>
        With(AckCode.Failure, vm, message, errorCode);

    public static Outcome Unsupported(Guid vm, string message, uint? errorCode = null) =>
        With(AckCode.Unsupported, vm, message, errorCode);

    public static Outcome Busy(Guid vm, string message) => With(AckCode.Busy, vm, message, null);

    public static Outcome With(AckCode code, Guid vm, string message, uint? errorCode)
    {
        var results = new AttrList();
        if (errorCode is uint e) results.Add(AttrType.ErrorCode, e);
        results.AddMessage(message);
        return new(code, vm, results);
    }
}

/// <summary>A hypervisor call failed: the ack code it maps to, libvirt's error number and its one-line message.</summary>
internal sealed class HypervisorException(AckCode code, uint errorCode, string message) : Exception(message)
{
    public AckCode Code { get; } = code;
    public uint ErrorCode { get; } = errorCode;
}
