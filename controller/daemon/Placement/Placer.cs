// Placement of a new VM (spec §7.4: an add without a host goes to a host with room), and of a VM a drain moves
// (§7.4, drain). Room comes from the hosts' own heartbeats: memory-free as reported (less, when the host's VM
// records already show more memory in use: a VM that arrived since its last report), and CPUs as the host's
// logical CPUs (times an overcommit ratio) less the vCPUs of its VMs that hold CPUs now. A host marked
// draining is never chosen, nor for an HA VM a host that says fenced (its lease lapsed: it would not start the VM,
// spec §15.3).
using Vmm.Controller.Inventory;
using Vmm.Protocol;
using Vmm.Protocol.Text;

namespace Vmm.Controller.Placement;

/// <summary>The outcome of placement: the chosen host, or why none fits (one line for the operator).</summary>
internal readonly record struct PlacementDecision(string? Host, string Message)
{
    public bool Placed => Host is not null;
}

internal sealed class Placer
{
    private readonly double _cpuOvercommit;

    /// <param name="cpuOvercommit">vCPUs a host may run per logical CPU (1: none).</param>
    public Placer(double cpuOvercommit = 1.0)
    {
        if (!(cpuOvercommit > 0)) throw new ArgumentOutOfRangeException(nameof(cpuOvercommit), "the CPU overcommit ratio must be above 0");
        _cpuOvercommit = cpuOvercommit;
    }

    /// <summary>
    /// Picks the up host with the most free memory among those with room for <paramref name="vcpus"/> and
    /// <paramref name="memoryKib"/> (ties: more free vCPUs, then name), so that new VMs spread out. Room is what the
    /// host reports less what <paramref name="held"/> says creates (or moves) in flight hold on it (not yet in its
    /// reports). Hosts marked draining, and <paramref name="except"/> (a drain's own host), are never chosen; with
    /// <paramref name="ha"/>, nor are hosts that say fenced.
    /// </summary>
    public PlacementDecision Choose(IEnumerable<HostView> hosts, uint vcpus, ulong memoryKib, Func<string, (uint Vcpus, ulong MemoryKib)>? held = null,
        string? except = null, bool ha = false)
    {
        Room? best = null, largest = null;
        var skipped = new List<string>();
        foreach (var h in hosts)
        {
            if (h.Name == except) continue;
            if (h.Draining || (ha && (h.Status & HostStatus.Fenced) != 0))
            {
                skipped.Add($"{h.Name} {(h.Draining ? "draining" : "fenced")}");
                continue;
            }
            if (h.State != HostState.Up || h.Endpoint is null || h.Facts.MemoryFreeKib is null || h.Facts.Cpus is null) continue;
            var (heldVcpus, heldKib) = held?.Invoke(h.Name) ?? default;
            ulong free = h.Facts.MemoryFreeKib.Value;
            if (h.Facts.MemoryTotalKib is { } total && h.UsedMemoryKib > 0)
                free = Math.Min(free, total > h.UsedMemoryKib ? total - h.UsedMemoryKib : 0);
            var room = new Room(h.Name, free > heldKib ? free - heldKib : 0,
                Math.Max(0, (long)Math.Floor(h.Facts.Cpus.Value * _cpuOvercommit) - h.UsedVcpus - heldVcpus));
            if (largest is null || room.Beats(largest)) largest = room;
            if (room.MemoryKib >= memoryKib && room.Vcpus >= vcpus && (best is null || room.Beats(best))) best = room;
        }
        if (best is not null) return new(best.Host, $"placed on {best.Host}: {SizeText.RoundedKib(best.MemoryKib)} and {best.Vcpus} vCPUs free");
        string need = $"no host has room for {vcpus} vCPUs and {SizeText.ExactKib(memoryKib)}";
        string besides = skipped.Count == 0 ? "" : $" ({string.Join(", ", skipped)})";
        return new(null, largest is null
            ? $"{need}: no host is up and reporting its free memory and CPUs{besides}"
            : $"{need}: largest free is {SizeText.RoundedKib(largest.MemoryKib)} and {largest.Vcpus} vCPUs on {largest.Host}{besides}");
    }

    /// <summary>What a host has free for a new VM.</summary>
    private sealed record Room(string Host, ulong MemoryKib, long Vcpus)
    {
        public bool Beats(Room other)
        {
            int c = MemoryKib.CompareTo(other.MemoryKib);
            if (c == 0) c = Vcpus.CompareTo(other.Vcpus);
            if (c == 0) c = string.CompareOrdinal(other.Host, Host);
            return c > 0;
        }
    }
}
