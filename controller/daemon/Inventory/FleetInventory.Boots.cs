// A hostd that restarted is known at once from an authenticated answer over TCP (spec §6.6, §7.1), not only
// once its old boot has been silent for down-after: any ACK signed with the host's key that carries another
// boot adopts that boot. Datagrams of a competing boot, which the silence rule drops, ask for such an answer
// (a ping) through CompetingBootHeard.
namespace Vmm.Controller.Inventory;

internal sealed partial class FleetInventory
{
    /// <summary>
    /// Raised, on the ingest thread and under the host's lock, with the name of a host whose datagram was
    /// dropped as a competing boot. The handler must return at once (it schedules a probe, no more).
    /// </summary>
    public Action<string>? CompetingBootHeard { get; set; }

    /// <summary>
    /// Adopts <paramref name="boot"/> as the current boot of <paramref name="name"/>, which an ACK signed with the
    /// host's key carried (spec §6.6): the old boot is retired and the host is heard now. True when the boot is
    /// current (already or now); false for an unknown host or a retired boot.
    /// </summary>
    public bool AdoptBoot(string name, ulong boot)
    {
        if (Find(name) is not { } host) return false;
        lock (host.Gate)
        {
            long now = _clock();
            bool changed = host.BootId != boot;
            if (!host.Adopt(boot, now, out ulong replaced)) return false;
            if (!changed) return true;
            Counters.CountBootAdopted();
            _log.Info("host {0}: boot 0x{1:x16} answered on its request port, so it replaces boot 0x{2:x16} at once (hostd restarted)",
                host.Name, boot, replaced);
            Announce(host, now);
            return true;
        }
    }
}
