namespace Vmm.Controller.Ha;

/// <summary>The controller's HA settings (spec §15).</summary>
internal sealed record HaOptions
{
    /// <summary>This controller's name as a lease holder.</summary>
    public required string ControllerId { get; init; }

    /// <summary>Time between renewals of each host's lease.</summary>
    public TimeSpan LeaseInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a host's lease lasts without a renewal; the host fences its HA VMs then.</summary>
    public TimeSpan FenceAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>What the controller waits beyond fence-after, counted from the last renewal a host acknowledged.</summary>
    public TimeSpan Margin { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>No HA restart while more than this percent of the hosts is down.</summary>
    public int MaxDownPercent { get; init; } = 50;

    /// <summary>Hosts one HA VM is tried on before the controller gives up.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>How often the restarter looks at the fleet.</summary>
    public TimeSpan Tick { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Most HA restarts in flight at once (each is an add and a start on one host).</summary>
    public int MaxRestartsInFlight { get; init; } = 16;
}
