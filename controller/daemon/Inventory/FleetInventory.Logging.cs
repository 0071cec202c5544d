// What the inventory tells the log about a host: a new boot, a change of address or port, the draining mark, and
// each transition of its state. Called under the host's lock by Apply, Announce and the sweep.
using Vmm.Protocol;

namespace Vmm.Controller.Inventory;

internal sealed partial class FleetInventory
{
    // Where requests for a host go is taken from its datagrams (spec §12): a change is worth a warning, at most one
    // line per host every 10 s, saying how many changes were not logged in between.
    private void LogRebind(HostEntry host, PeerAddress oldAddress, ushort? oldPort, PeerAddress from, long now)
    {
        if (host.RebindWarnedAt != 0 && now - host.RebindWarnedAt < 10_000)
        {
            host.RebindsUnlogged++;
            return;
        }
        host.RebindWarnedAt = now;
        long more = host.RebindsUnlogged;
        host.RebindsUnlogged = 0;
        var changes = new List<string>(2);
        if (oldAddress != from) changes.Add($"address {oldAddress} -> {from}");
        if (host.Facts.Port != oldPort) changes.Add($"request port {oldPort?.ToString() ?? "none"} -> {host.Facts.Port?.ToString() ?? "none"}");
        _log.Warn("host {0} moved: {1}; its requests now go there{2}", host.Name, string.Join(", ", changes),
            more == 0 ? "" : $" ({more} more changes since the last line)");
    }

    private void LogDraining(HostEntry host, bool draining)
    {
        if (draining) _log.Info("host {0} is marked draining: placement skips it", host.Name);
        else _log.Info("host {0}: draining mark cleared", host.Name);
    }

    private void LogBoot(HostEntry host, ulong boot, ulong replaced, PeerAddress from)
    {
        if (replaced != 0)
            _log.Info("host {0}: new boot 0x{1:x16} from {2} replaces boot 0x{3:x16}", host.Name, boot, from, replaced);
        else if (!host.Heard)
            _log.Info("host {0}: learned from {1}, boot 0x{2:x16}", host.Name, from, boot);
        else
            _log.Info("host {0}: boot 0x{1:x16} from {2}", host.Name, boot, from);
    }

    private void LogTransition(HostEntry host, HostState from, HostState to, long now)
    {
        switch (to)
        {
            case HostState.Down:
                _log.Warn("host {0} is down: silent for {1:0.0} s; its {2} VMs are unknown until it reports again",
                    host.Name, (now - host.LastHeardMs) / 1000.0, host.Vms.Count);
                break;
            case HostState.Unreachable:
                _log.Warn("host {0}: hostd cannot reach its hypervisor; its {1} VMs are unknown", host.Name, host.Vms.Count);
                break;
            case HostState.Stopped:
                _log.Info("host {0}: hostd stopped; its {1} VMs are unknown until it starts again", host.Name, host.Vms.Count);
                break;
            case HostState.Up when from is HostState.Down or HostState.Unreachable or HostState.Stopped:
                _log.Info("host {0} is up again (was {1})", host.Name, Vmm.Protocol.Text.Names.Of(from));
                break;
        }
    }
}
