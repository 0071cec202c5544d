// A datagram of a competing boot (spec §6.6 rule 3) is either hostd restarted after a crash, before its old boot
// has been silent for down-after, or two hostd claiming one name, or a replay. A ping over TCP to the host's
// request endpoint tells them apart at once: the ACK, signed with the host's key and answering a request id
// just drawn, names the boot that really runs there, which the inventory then adopts (or keeps, if it is the
// current one). So after a kill -9 and restart the controller knows the new boot within one heartbeat, with
// no request needed to find out.
using NLog;
using Vmm.Controller.Inventory;
using Vmm.Hosting;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller;

/// <summary>Pings hosts whose datagrams came from a competing boot, at most one at a time per host and one a second.
/// It owns its probes: <see cref="StopAsync"/> cancels and awaits those still out.</summary>
internal sealed class BootProbe(FleetInventory inventory, IDispatcher dispatcher, Logger log)
{
    /// <summary>Probes in flight at most; a competing datagram beyond them waits for its host's next one.</summary>
    public const int MaxInFlight = 64;

    // The least time between two probes of one host, and how many hosts' last probe times are kept at most.
    private const long GapMs = 1000;
    private const int MaxRemembered = 4096;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _probedAt = new(StringComparer.Ordinal);
    private readonly PendingSet<Probe> _probes = new();   // added to under _gate, so that MaxInFlight holds
    private readonly CancellationTokenSource _stop = new();
    private long _sent;
    private long _skipped;

    /// <summary>Pings sent.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Competing datagrams that asked for a probe while MaxInFlight were out, or MaxRemembered hosts were probed within the gap.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Hooks the probe to the inventory's competing-boot drops.</summary>
    public void Attach() => inventory.CompetingBootHeard = Heard;

    /// <summary>A datagram of <paramref name="host"/> was dropped as a competing boot. On the ingest thread: returns at once.</summary>
    public void Heard(string host)
    {
        long now = Environment.TickCount64;
        Probe probe;
        lock (_gate)
        {
            if (_probedAt.TryGetValue(host, out long at) && now - at < GapMs) return;
            if (_probedAt.Count >= MaxRemembered)
                foreach (var (name, time) in _probedAt)
                    if (now - time >= GapMs) _probedAt.Remove(name);
            // Every remembered host probed within the gap, or every probe out: this datagram waits for the next one.
            if (_stop.IsCancellationRequested || _probes.Count >= MaxInFlight || _probedAt.Count >= MaxRemembered)
            {
                _skipped++;
                return;
            }
            _probedAt[host] = now;
            _sent++;
            probe = new Probe();
            _probes.Add(probe);
        }
        probe.Work = Task.Run(() => ProbeAsync(host, probe));
    }

    /// <summary>No new probes; cancels those out and waits for them to end (they never fault).</summary>
    public async Task StopAsync()
    {
        lock (_gate) _stop.Cancel();
        await _probes.WhenEmpty().ConfigureAwait(false);
    }

    // Never faults: whatever goes wrong is logged.
    private async Task ProbeAsync(string host, Probe probe)
    {
        try
        {
            if (!inventory.TryGetTarget(host, out var target)) return;
            // Boot 0: any boot answers a ping; the dispatcher hands the ACK's boot to the inventory.
            var result = await dispatcher.SendAsync(target with { BootId = 0 }, RequestCode.Ping, RequestFlags.None, Guid.Empty, [],
                _stop.Token).ConfigureAwait(false);
            if (result.Code != AckCode.Success)
                log.Debug("host {0}: a competing boot is heard, and the ping to find out which one runs got {1}: {2}",
                    host, Vmm.Protocol.Text.Names.Of(result.Code), result.Results.Text(AttrType.Message) ?? "no message");
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The controller stops.
        }
        catch (Exception e)
        {
            log.Warn("host {0}: probing a competing boot failed: {1}", host, e.Message);
        }
        finally
        {
            _probes.Remove(probe);
        }
    }

    /// <summary>One probe out: its entry in the set, holding its task.</summary>
    private sealed class Probe
    {
        public Task? Work { get; set; }
    }
}
