using NLog;
using Vmm.Protocol;

namespace Vmm.Controller.Dispatch;

/// <summary>What every part of dispatch shares.</summary>
/// <param name="Keys">Each host's keys: a REQUEST is signed, and its ACK checked, with the key of its host.</param>
/// <param name="Options">Deadlines, retries and bounds.</param>
/// <param name="Log">Connection events and request outcomes.</param>
/// <param name="Time">The clock of every deadline, backoff and idle check (tests drive it by hand).</param>
internal sealed record DispatchContext(HostKeys Keys, DispatchOptions Options, Logger Log, TimeProvider Time);
