// Applying a USAGE datagram (spec §16.3): only for a host heard already and its current boot; each record only for a
// VM the host holds, and only when newer than the VM's newest sample. Usage starts nothing: no host is added, no VM,
// no boot, and the host's ordering state (§6.6) is left alone. Allocates nothing once every VM has had a sample.
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Inventory;

internal sealed partial class FleetInventory
{
    /// <summary>
    /// Applies an authenticated, parsed USAGE datagram: <see cref="DropReason.None"/> when its boot is the host's
    /// current one (even if no record was newer), <see cref="DropReason.Stale"/> when it is not, or the host is not
    /// known. The ingest thread only.
    /// </summary>
    public DropReason ApplyUsage(in UsageView usage, out HostEntry? named)
    {
        if (!_byNameBytes.TryGetValue(usage.HostUtf8, out var host))
        {
            named = null;
            Counters.CountUsage(accepted: false, 0);
            return DropReason.Stale;
        }
        named = host;
        int ignored = 0;
        lock (host.Gate)
        {
            if (host.BootId == 0 || usage.BootId != host.BootId)
            {
                Counters.CountUsage(accepted: false, 0);
                return DropReason.Stale;
            }
            long now = _clock();
            if (usage.BootId != host.UsageBoot || usage.SampledMs > host.UsageSampleAt)
            {
                host.UsageBoot = usage.BootId;
                host.UsageSampleAt = usage.SampledMs;
                host.UsageVms = 0;
            }
            bool newest = usage.SampledMs == host.UsageSampleAt;
            if (newest)
            {
                host.UsageReceivedMs = now;
                host.UsageIntervalMs = usage.IntervalMs;
            }
            foreach (var record in usage.Vms)
            {
                if (!host.Vms.TryGetValue(record.Uuid, out var vm))
                {
                    ignored++;
                    continue;
                }
                var history = vm.Usage ??= new UsageHistory();
                if (!history.Take(usage.BootId, usage.SampledMs, usage.IntervalMs, record.Counters, now)) ignored++;
                else if (newest) host.UsageVms++;
            }
        }
        Counters.CountUsage(accepted: true, ignored);
        return DropReason.None;
    }

    /// <summary>
    /// VMs in the newest usage sample of each host whose sample is fresh (spec §16.4: younger than three of its intervals):
    /// a walk over the hosts, not their VMs, so that a scrape of a fleet far above the metrics bound costs little.
    /// </summary>
    public int CountVmUsage()
    {
        long now = _clock();
        int n = 0;
        foreach (var host in _hosts)
            lock (host.Gate)
                if (host.UsageFresh(now)) n += host.UsageVms;
        return n;
    }

    /// <summary>Visits every VM whose usage is fresh, under its host's lock: <paramref name="visit"/> must not block.</summary>
    public void VisitVmUsage(Action<string, VmEntry, UsageHistory> visit)
    {
        long now = _clock();
        foreach (var host in _hosts)
            lock (host.Gate)
                if (host.UsageFresh(now))
                    foreach (var vm in host.Vms.Values)
                        if (vm.Usage is { } u && u.Fresh(now)) visit(host.Name, vm, u);
    }
}
