// What this controller knows of each host's lease (spec §15): whether it holds it, the token to echo next, and
// when, by this controller's monotonic clock, the host's last acknowledgement arrived. That moment is what every
// wait counts from: the host counts its own deadline from when it sent that acknowledgement, which is earlier,
// so once fence-after plus a margin has passed here, the host's deadline has passed there, whatever became of
// the renewals sent since (lost, late, or delivered after a partition healed).
namespace Vmm.Controller.Ha;

/// <summary>One host's lease as this controller sees it.</summary>
/// <param name="Held">This controller holds it (the host granted its last answered renewal).</param>
/// <param name="Token">The token to echo in the next renewal; 0 for none.</param>
/// <param name="LastAckMs">When the last granted renewal's ACK arrived (monotonic ms); long.MinValue: never.</param>
/// <param name="Holder">Who holds it, as the host said last (this controller or another).</param>
internal readonly record struct HostLease(bool Held, ulong Token, long LastAckMs, string? Holder);

/// <summary>Leases of every host this controller renews. Thread-safe. Bounded by the hosts the inventory holds.</summary>
internal sealed class LeaseBook
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HostLease> _hosts = new(StringComparer.Ordinal);

    /// <summary>Hosts with an entry.</summary>
    public int Count { get { lock (_gate) return _hosts.Count; } }

    /// <summary>The lease of <paramref name="host"/> (never held, no token, when unknown).</summary>
    public HostLease Of(string host)
    {
        lock (_gate) return _hosts.TryGetValue(host, out var lease) ? lease : new HostLease(false, 0, long.MinValue, null);
    }

    /// <summary>The host granted a renewal: its ACK, carrying <paramref name="token"/>, arrived at <paramref name="ackAtMs"/>.</summary>
    public void Granted(string host, ulong token, long ackAtMs, string holder)
    {
        lock (_gate)
        {
            long last = _hosts.TryGetValue(host, out var old) ? old.LastAckMs : long.MinValue;
            // An older answer arriving after a newer one never moves the count back.
            _hosts[host] = new HostLease(true, token, Math.Max(ackAtMs, last), holder);
        }
    }

    /// <summary>The host refused a renewal: <paramref name="holder"/> holds the lease. This controller may not act for the host.</summary>
    public void Refused(string host, string? holder)
    {
        lock (_gate) _hosts[host] = new HostLease(false, 0, long.MinValue, holder);
    }

    /// <summary>
    /// When this controller may take the host's HA VMs for fenced: <paramref name="fenceAfterMs"/> plus
    /// <paramref name="marginMs"/> after the last acknowledgement; null when it does not hold the lease (then it never may).
    /// </summary>
    public long? FencedBy(string host, long fenceAfterMs, long marginMs)
    {
        var lease = Of(host);
        return lease.Held && lease.LastAckMs != long.MinValue ? lease.LastAckMs + fenceAfterMs + marginMs : null;
    }

    /// <summary>Hosts whose lease this controller holds, and hosts whose lease another holds (it stands by).</summary>
    public (int Held, int Standby) Census()
    {
        int held = 0, standby = 0;
        lock (_gate)
            foreach (var lease in _hosts.Values)
            {
                if (lease.Held) held++;
                else if (lease.Holder is not null) standby++;
            }
        return (held, standby);
    }

    /// <summary>Drops hosts for which <paramref name="keep"/> is false (forgotten by the inventory).</summary>
    public void Retain(Func<string, bool> keep)
    {
        lock (_gate)
            foreach (var host in _hosts.Keys.ToList())
                if (!keep(host)) _hosts.Remove(host);
    }
}
