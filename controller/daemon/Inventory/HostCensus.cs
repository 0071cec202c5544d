// One host counted for the metrics (controller/daemon/Metrics): its state, datagram counters and VMs by power,
// copied under its lock, so that a scrape of 10,000 hosts copies no view and no record.
using Vmm.Protocol;

namespace Vmm.Controller.Inventory;

/// <summary>A host as the metrics count it. <see cref="Vms"/> is one array for the whole census, filled anew for each host.</summary>
internal readonly record struct HostCensus(string Name, HostState State, ulong Accepted, ulong Dropped, int[] Vms, bool Fenced = false, bool Draining = false)
{
    /// <summary>The power states of spec §8.3 (0-7): the length of <see cref="Vms"/>, indexed by <see cref="PowerState"/>'s value.</summary>
    public const int Powers = (int)PowerState.Suspended + 1;
}

internal sealed partial class FleetInventory
{
    /// <summary>Hosts the inventory holds now (heard or pinned).</summary>
    public int HostCount => _hosts.Length;

    /// <summary>
    /// Counts each host under its own lock, one at a time, and hands the counts to <paramref name="visit"/> after the
    /// lock is let go: a scrape never holds up ingest for longer than one host takes to count. The VMs by power are
    /// the census's one array: <paramref name="visit"/> reads it before it returns.
    /// </summary>
    public void CensusByHost(Action<HostCensus> visit)
    {
        var vms = new int[HostCensus.Powers];
        foreach (var host in _hosts)
        {
            HostCensus census;
            lock (host.Gate)
            {
                Array.Clear(vms);
                foreach (var vm in host.Vms.Values)
                {
                    int power = (int)vm.Power;
                    if (power < vms.Length) vms[power]++;
                }
                census = new HostCensus(host.Name, host.StateAt(_clock(), _downAfterMs), host.Accepted, host.Dropped, vms, host.Fenced, host.Draining);
            }
            visit(census);
        }
    }
}
