// What an events QUERY asks for (spec §7.7): its host, ref, since-ms and after-event filters, matched against each
// event, for the events held and for those that follow.
using Vmm.Protocol;

namespace Vmm.Controller.Events;

/// <summary>Which events a query or a follower wants; every filter given must match.</summary>
/// <param name="Host">Only events of this host.</param>
/// <param name="Ref">Only events of this VM, by name or uuid.</param>
/// <param name="SinceMs">Only events recorded at or after this Unix time, ms.</param>
/// <param name="AfterId">Only events whose id is greater.</param>
internal sealed record EventFilter(string? Host = null, string? Ref = null, long SinceMs = 0, long AfterId = 0)
{
    private readonly Guid? _uuid = Guid.TryParse(Ref, out var u) ? u : null;

    public bool Matches(in Event e)
    {
        if (e.Id <= AfterId || e.TimeMs < SinceMs) return false;
        if (Host is not null && e.Host != Host) return false;
        if (Ref is null) return true;
        return _uuid is { } uuid ? e.Vm == uuid : e.Name == Ref;
    }
}
