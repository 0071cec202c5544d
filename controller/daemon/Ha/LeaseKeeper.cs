// Renews every host's lease (spec §15) each lease-interval over the dispatcher's pooled connection to it: one
// renewal in flight per host at most, each with a deadline of two intervals. What the host answers goes into the
// LeaseBook; changes of holder are logged once.
using NLog;
using Vmm.Controller.Inventory;
using Vmm.Hosting;
using Vmm.Protocol;

namespace Vmm.Controller.Ha;

/// <summary>Renews the leases of the hosts the inventory knows.</summary>
internal sealed class LeaseKeeper(FleetInventory inventory, IDispatcher dispatcher, LeaseBook book, HaOptions options, Logger log,
    Func<long>? nowMs = null)
{
    private readonly Func<long> _now = nowMs ?? (() => Environment.TickCount64);
    private readonly PendingSet<Renewal> _inFlight = new();
    private readonly Lock _gate = new();
    private readonly HashSet<string> _renewing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _said = new(StringComparer.Ordinal);
    private long _sent, _granted, _refused, _unanswered, _again;

    /// <summary>Renewals sent, granted, refused (another controller holds the lease) and unanswered (timeout, unreachable);
    /// and of those sent, the ones sent at once because the grant before extended nothing.</summary>
    public (long Sent, long Granted, long Refused, long Unanswered, long Again) Counts =>
        (Interlocked.Read(ref _sent), Interlocked.Read(ref _granted), Interlocked.Read(ref _refused), Interlocked.Read(ref _unanswered),
         Interlocked.Read(ref _again));

    /// <summary>Renews until <paramref name="stop"/>, then waits for the renewals in flight; never faults.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(options.LeaseInterval);
        try
        {
            do RenewAll(stop);
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
        await _inFlight.WhenEmpty().ConfigureAwait(false);
    }

    /// <summary>Starts one renewal for each host that has a boot and none in flight.</summary>
    internal void RenewAll(CancellationToken stop)
    {
        var hosts = inventory.Hosts();
        book.Retain(inventory.Knows);
        foreach (var host in hosts)
        {
            if (host.BootId == 0 || !inventory.TryGetTarget(host.Name, out var target)) continue;
            lock (_gate)
                if (!_renewing.Add(host.Name)) continue;
            var renewal = new Renewal();
            _inFlight.Add(renewal);
            renewal.Work = Task.Run(() => RenewAsync(target, renewal, stop), CancellationToken.None);
        }
    }

    /// <summary>One renewal of one host; never faults.</summary>
    internal async Task RenewAsync(HostTarget target, Renewal renewal, CancellationToken stop)
    {
        string host = target.Name;
        try
        {
            // A grant that extended nothing (the first, or a token of the host's earlier lease) leaves the host's HA VMs
            // fenced and unable to start until the next renewal (spec §15.2): that one goes at once, not an interval later.
            for (int round = 0; ; round++)
            {
                var lease = book.Of(host);
                var parameters = new AttrList().Add(AttrType.TimeoutMs, (ulong)(options.LeaseInterval.TotalMilliseconds * 2));
                if (lease.Token != 0) parameters.Add(AttrType.LeaseToken, lease.Token);
                parameters.Add(AttrType.Controller, options.ControllerId);
                parameters.Add(AttrType.FenceAfterMs, (ulong)options.FenceAfter.TotalMilliseconds);
                Interlocked.Increment(ref _sent);
                var result = await dispatcher.SendAsync(target, RequestCode.Lease, RequestFlags.None, Guid.Empty, parameters, stop).ConfigureAwait(false);
                // Taken after the answer is in hand: later than the ACK's arrival, so the wait counted from it is longer, never shorter.
                long at = _now();
                if (!Apply(host, result, at) || round == 1) break;
                Interlocked.Increment(ref _again);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            log.Warn("renewing the lease of host {0} failed: {1}", host, e.Message);
        }
        finally
        {
            lock (_gate) _renewing.Remove(host);
            _inFlight.Remove(renewal);
        }
    }

    /// <summary>What an answer to a renewal means for the book. True when it was a grant that extended nothing (the
    /// host said 0 ms left): the next renewal should go at once.</summary>
    internal bool Apply(string host, DispatchResult result, long atMs)
    {
        string? holder = result.Results.Text(AttrType.Controller);
        if (result.Code == AckCode.Success && result.Results.Number(AttrType.LeaseToken) is { } token)
        {
            Interlocked.Increment(ref _granted);
            book.Granted(host, token, atMs, holder ?? options.ControllerId);
            Say(host, "held", $"host {host}: this controller holds its lease ({result.Results.Text(AttrType.Message) ?? "granted"})", warn: false);
            return result.Results.Number(AttrType.FenceAfterMs) == 0;
        }
        else if (result.Code == AckCode.Failure && holder is not null && holder != options.ControllerId)
        {
            Interlocked.Increment(ref _refused);
            book.Refused(host, holder);
            Say(host, "standby:" + holder, $"host {host}: its lease is held by controller {holder}; this controller stands by and restarts none of its VMs", warn: false);
        }
        else if (result.Code == AckCode.Unsupported)
        {
            book.Refused(host, null);
            Say(host, "unsupported", $"host {host} keeps no lease (an older hostd?): its HA VMs are never restarted elsewhere", warn: true);
        }
        else
        {
            Interlocked.Increment(ref _unanswered);
            log.Debug("host {0}: lease renewal got {1}: {2}", host, Vmm.Protocol.Text.Names.Of(result.Code), result.Results.Text(AttrType.Message) ?? "no message");
        }
        return false;
    }

    // One line for each change of what a host's lease is to this controller, not one a second.
    private void Say(string host, string what, string line, bool warn)
    {
        lock (_gate)
        {
            if (_said.TryGetValue(host, out var said) && said == what) return;
            if (_said.Count >= 65536) _said.Clear();   // bounded: a line may be said twice after this
            _said[host] = what;
        }
        if (warn) log.Warn(line);
        else log.Info(line);
    }

    /// <summary>One renewal in flight.</summary>
    internal sealed class Renewal
    {
        public Task? Work { get; set; }
    }
}
