// Placement of a new VM (spec §7.4: an add without a host goes to a host with room). Room comes from
// the hosts' own heartbeats: memory-free as reported, and CPUs as the host's logical CPUs (times an
// overcommit ratio) less the vCPUs of its VMs that hold CPUs now.
using Vmm.Protocol;

namespace Vmm.Controller;

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
    /// <paramref name="memoryKib"/> (ties: more free vCPUs, then name), so that new VMs spread out.
    /// </summary>
    public PlacementDecision Choose(IEnumerable<HostView> hosts, uint vcpus, ulong memoryKib)
    {
        HostView? best = null, largest = null;
        foreach (var h in hosts)
        {
            if (h.State != HostState.Up || h.Endpoint is null || h.Facts.MemoryFreeKib is null || h.Facts.Cpus is null) continue;
            if (largest is null || Better(h, largest)) largest = h;
            if (FreeMemory(h) >= memoryKib && FreeVcpus(h) >= vcpus && (best is null || Better(h, best))) best = h;
        }
        if (best is not null) return new(best.Name, $"placed on {best.Name}: {Mib(FreeMemory(best))} MiB and {FreeVcpus(best)} vCPUs free");
        string need = $"no host has room for {vcpus} vCPUs and {MibUp(memoryKib)} MiB";
        return new(null, largest is null
            ? $"{need}: no host is up and reporting its free memory and CPUs"
            : $"{need}: largest free is {Mib(FreeMemory(largest))} MiB and {FreeVcpus(largest)} vCPUs on {largest.Name}");
    }

    private bool Better(HostView a, HostView b)
    {
        int c = FreeMemory(a).CompareTo(FreeMemory(b));
        if (c == 0) c = FreeVcpus(a).CompareTo(FreeVcpus(b));
        if (c == 0) c = string.CompareOrdinal(b.Name, a.Name);
        return c > 0;
    }

    private static ulong FreeMemory(HostView h) => h.Facts.MemoryFreeKib ?? 0;

    private long FreeVcpus(HostView h) => Math.Max(0, (long)Math.Floor((h.Facts.Cpus ?? 0) * _cpuOvercommit) - h.UsedVcpus);

    private static ulong Mib(ulong kib) => kib / 1024;

    private static ulong MibUp(ulong kib) => (kib + 1023) / 1024;
}
