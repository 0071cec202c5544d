namespace Vmm.Controller.Inventory;

/// <summary>Where a VM is: its uuid and name, the host that reports it and that host's state.</summary>
internal readonly record struct VmLocation(Guid Vm, string Name, string Host, Vmm.Protocol.HostState HostState);

internal enum ResolveOutcome : byte { Found, NotFound, Ambiguous }

/// <summary>The answer to "which VM is this reference?": found, not found or ambiguous, with a one-line
/// message for the operator when not found.</summary>
internal readonly record struct VmResolution(ResolveOutcome Outcome, VmLocation Location, string Message)
{
    public bool Found => Outcome == ResolveOutcome.Found;
}
