// The inventory's hosts over time, on the sweep timer's thread: hosts that fall silent are announced down, hosts
// silent for forget-after (or named by vmmctl host forget) are forgotten. Each host is touched under its own lock;
// none of the ingest thread's scratch lists is used here.
using System.Collections.Concurrent;
using System.Text;
using NLog;
using Vmm.Controller.Events;
using Vmm.Hosting.Configuration;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Inventory;

internal sealed partial class FleetInventory
{
    /// <summary>Notices hosts that fell silent (down) and announces them, and forgets those silent for
    /// forget-after; run periodically by <see cref="RunAsync"/>.</summary>
    public void Sweep()
    {
        long forgetMs = (long)_options.ForgetAfter.TotalMilliseconds;
        foreach (var host in _hosts)
        {
            bool forget;
            lock (host.Gate)
            {
                long now = _clock();
                if (host.StateAt(now, _downAfterMs) != host.Announced) Announce(host, now);
                forget = host.Pin is null && now - host.LastHeardMs >= forgetMs;
            }
            if (forget && Forget(host, $"silent for {Durations.Format(_options.ForgetAfter)} (forget-after)")) Counters.CountForgotten();
        }
    }

    /// <summary>
    /// Forgets host <paramref name="name"/> and its VMs at once (vmmctl host forget): it is listed again, as new,
    /// when it next reports. A pinned host is not forgotten (its pin is configuration).
    /// </summary>
    /// <paramref name="uid"/>: the admin caller, recorded in the history.
    public ForgetOutcome Forget(string name, uint uid = EventLog.Controller)
    {
        if (Find(name) is not { } host) return ForgetOutcome.NotFound;
        if (host.Pin is not null) return ForgetOutcome.Pinned;
        return Forget(host, "forgotten by request", uid) ? ForgetOutcome.Forgotten : ForgetOutcome.NotFound;
    }

    /// <summary>Removes <paramref name="host"/> from the table, then tells watchers its VMs are gone. A datagram
    /// being applied to it meanwhile is lost with it; the host's next one makes it anew.</summary>
    private bool Forget(HostEntry host, string why, uint uid = EventLog.Controller)
    {
        lock (_hostsGate)
        {
            if (!_byName.TryGetValue(host.NameUtf8, out var held) || held != host) return false;
            _byName.TryRemove(host.NameUtf8, out _);
            _hosts = Array.FindAll(_hosts, h => h != host);
        }
        List<Guid> gone;
        lock (host.Gate)
        {
            long now = _clock();
            _log.Info("host {0}: {1}; its {2} VMs are forgotten with it", host.Name, why, host.Vms.Count);
            Events.Record(new Event(EventKind.Decision, host.Name, Uid: uid, Text: $"host {host.Name} {why}; its {host.Vms.Count} VMs are forgotten with it"));
            gone = [.. host.Vms.Keys];
            if (Watchers.Watches(host.Name))
                foreach (var vm in host.Vms.Values)
                    Watchers.Publish(new VmChange(new VmView(host.Name, vm.Record.ToArray(), Unknown: false, Removed: true, now - vm.UpdatedMs, null)));
            host.Vms.Clear();
        }
        ForgetRequestsOf(gone);
        return true;
    }

    /// <summary>Sweeps four times per heartbeat interval until <paramref name="stop"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var period = TimeSpan.FromMilliseconds(Math.Max(10, _options.HeartbeatInterval.TotalMilliseconds / 4));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false)) Sweep();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
