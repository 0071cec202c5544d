// The controller's way to a host: the admin socket's SUBMIT handler is written against this;
// Dispatch/ holds the implementation (pooled TCP connections, request ids, retries, bounds).
using System.Net;
using Vmm.Controller.Dispatch;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller;

/// <summary>Where a request goes: the host's name, its hostd endpoint (address of its datagrams, port
/// from its facts) and the boot the request is bound to (spec §7.1).</summary>
internal sealed record HostTarget(string Name, IPEndPoint Endpoint, ulong BootId);

/// <summary>What came of a request: the host's ACK, or the controller's own timeout/unavailable (§8.2).
/// <paramref name="Flags"/> and <paramref name="AnsweredBoot"/> are the ACK's (§7.2): none and 0 when no ACK came.</summary>
internal readonly record struct DispatchResult(AckCode Code, ulong RequestId, Guid Vm, AttrList Results,
    AckFlags Flags = AckFlags.None, ulong AnsweredBoot = 0);

/// <summary>Sends requests to hosts and waits for their ACKs.</summary>
internal interface IDispatcher
{
    /// <summary>
    /// Sends one request and completes with its outcome: the ACK (after retrying a lost connection with the
    /// same request id, and busy with capped backoff up to a limit), or timeout (5) when no ACK came within
    /// the request kind's deadline, or unavailable (7) when the host cannot be reached at all. Never throws
    /// for a network or host failure.
    /// </summary>
    Task<DispatchResult> SendAsync(HostTarget host, RequestCode code, RequestFlags flags, Guid vm, AttrList parameters, CancellationToken cancel);

    /// <summary>The requests this dispatcher sent lately, by id (spec §7.4, request-id); null when it keeps none.</summary>
    RecentRequests? Recent { get; }

    /// <summary>
    /// Sends a request of <see cref="Recent"/> again, byte for byte: same id, same host endpoint, same boot binding
    /// (hostd answers it from its request-id cache, or carries it out if it never arrived). An ACK from another boot
    /// of hostd is reported as a timeout, as for a restart in flight (§7.6). Never throws for a network or host failure.
    /// </summary>
    Task<DispatchResult> ResendAsync(RecentRequest request, CancellationToken cancel);
}
