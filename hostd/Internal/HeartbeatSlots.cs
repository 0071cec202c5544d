// When the heartbeat loop sends what (spec §6.5, liveness datagrams). Each heartbeat interval is cut into
// min-datagrams-per-interval slots. Slot 0 sends the complete report. A report of fewer pages than slots
// leaves the interval short of datagrams, and the shortfall goes out as liveness datagrams in the later
// slots, spread as evenly as the slots allow: a burst right after the report would be lost together on a
// congested link, and would leave the rest of the interval as silent as before.
namespace Vmm.Hostd.Internal;

internal static class HeartbeatSlots
{
    /// <summary>The most slots an interval may be cut into (the setting's upper bound).</summary>
    public const int Max = 10;

    /// <summary>The time between two slots.</summary>
    public static TimeSpan Length(TimeSpan interval, int perInterval) => interval / perInterval;

    /// <summary>
    /// Whether slot <paramref name="slot"/> (0 .. <paramref name="perInterval"/>-1) of an interval whose report went out
    /// in <paramref name="reportDatagrams"/> datagrams sends a liveness datagram. The n-th of the e = perInterval -
    /// reportDatagrams liveness datagrams goes in slot round(n * perInterval / (e + 1)): e slots apart by
    /// perInterval / (e + 1), which is at least one slot, so no two share a slot and slot 0 is the report's alone.
    /// </summary>
    public static bool SendsLiveness(int slot, int perInterval, int reportDatagrams)
    {
        int extra = Math.Min(perInterval - 1, perInterval - Math.Max(reportDatagrams, 1));
        if (slot <= 0 || slot >= perInterval || extra <= 0) return false;
        for (int n = 1; n <= extra; n++)
        {
            // round(n * perInterval / (extra + 1)), halves up, in integers.
            int at = (2 * n * perInterval + extra + 1) / (2 * (extra + 1));
            if (at == slot) return true;
        }
        return false;
    }
}
