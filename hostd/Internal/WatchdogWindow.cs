// When hostd may pet its watchdog (spec §15.3). A watchdog closes the one gap fencing leaves: a hostd that is frozen
// (SIGSTOP, a hung kernel) or wedged fences nothing while its HA VMs' QEMU runs on. If hostd pets only while a pet
// cannot carry the machine past its lease's deadline D by more than Reach, then a hostd that stops petting, for any
// reason, has the machine reset by D + Reach at the latest, which the controller's wait (fence-after + ha-margin,
// spec §15.4) covers. Once the lease has lapsed, hostd pets again only after the fencer went round (every HA VM
// destroyed or paused): from then on nothing here is left to guard.
namespace Vmm.Hostd.Internal;

/// <summary>The pet rule: pure, so that its edges are tested without a clock or a device.</summary>
internal static class WatchdogWindow
{
    /// <summary>The most a reset may come after the lease's deadline (spec §15.3). A controller's ha-margin must cover
    /// it, with the fencer's look and the clocks' rates (the controller refuses an ha-margin below 600 ms).</summary>
    public const long ReachMs = 500;

    /// <summary>
    /// True when a pet now is safe: the lease has at least <paramref name="timeoutMs"/> - <see cref="ReachMs"/> left
    /// (<paramref name="remainingMs"/>, long.MinValue when it never ran), so a reset that the last pet lets come at
    /// now + timeout comes by D + Reach; or it has lapsed and the fencer has gone round since (<paramref name="fencedSinceLapse"/>).
    /// </summary>
    public static bool MayPet(long remainingMs, bool fencedSinceLapse, long timeoutMs)
    {
        if (remainingMs > 0) return remainingMs >= timeoutMs - ReachMs;
        return fencedSinceLapse;
    }
}
