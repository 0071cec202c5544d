// The rules the restarter decides by (spec §15), kept apart from its loop so that each can be tested alone.
using Vmm.Controller.Inventory;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Ha;

internal static class HaRules
{
    /// <summary>
    /// The guard against a controller cut off from the fleet: no HA action while more than
    /// <paramref name="maxPercent"/> of the <paramref name="hosts"/> are down at once.
    /// </summary>
    public static bool TooManyDown(int down, int hosts, int maxPercent) => hosts > 0 && (long)down * 100 > (long)maxPercent * hosts;

    /// <summary>Hosts counted by the guard: every host heard from since the controller started, or pinned, whose last
    /// boot did not say stopping (a host stopped on purpose is not a failure).</summary>
    public static bool Counted(HostView h) => h.State is HostState.Up or HostState.Down or HostState.Unreachable;

    /// <summary>A VM of a down host that HA restarts: marked HA, and running (or paused, blocked, shutting down) when last heard.</summary>
    public static bool Wanted(VmView vm) =>
        !vm.Removed && (vm.Flags & VmFlags.Ha) != 0 && vm.ReportedPower is PowerState.Running or PowerState.Blocked or PowerState.Paused or PowerState.ShuttingDown;

    /// <summary>The name of the volume hostd made for disk <paramref name="target"/> of VM <paramref name="vm"/> (spec §8.1: add).</summary>
    public static string VolumeName(string vm, string target) => $"{vm}-{target}.qcow2";

    /// <summary>
    /// The add that defines <paramref name="record"/> again on another host (spec §15): the same uuid (the request's),
    /// name, vCPUs, memory and maxima, each disk on the volume Vmm made for it (the hosts share the pool's storage),
    /// each NIC on its network or bridge with its MAC, and the HA mark. Null, with why, when the record cannot be
    /// made again: it was truncated, or a disk was not made by Vmm (its volume is unknown), or a NIC is attached to
    /// something else than a network or a bridge.
    /// </summary>
    public static AttrList? AddParameters(VmState record, out string? why)
    {
        why = null;
        if ((record.Flags & VmFlags.Truncated) != 0)
        {
            why = "its record was truncated (too many disks and NICs for a datagram): its definition is not known in full";
            return null;
        }
        var p = new AttrList().Add(AttrType.Name, record.Name).Add(AttrType.Vcpus, record.Vcpus).Add(AttrType.Memory, record.MemoryKib);
        if (record.Attributes.Number(AttrType.MaxVcpus) is { } maxVcpus) p.Add(AttrType.MaxVcpus, maxVcpus);
        if (record.Attributes.Number(AttrType.MaxMemory) is { } maxMemory) p.Add(AttrType.MaxMemory, maxMemory);
        foreach (var a in record.Attributes.All(AttrType.Disk))
        {
            var d = a.Disk!;
            if ((d.Flags & DiskFlags.Owned) == 0)
            {
                why = $"disk {d.Target} was not made by Vmm: where its image is, no other host knows";
                return null;
            }
            p.Add(AttrType.DiskSpec, new AttrList().Add(AttrType.Target, d.Target).Add(AttrType.Bus, (ulong)d.Bus)
                .Add(AttrType.Volume, VolumeName(record.Name, d.Target)));
        }
        foreach (var a in record.Attributes.All(AttrType.Nic))
        {
            var n = a.Nic!;
            var spec = new AttrList().Add(AttrType.Mac, n.Mac).Add(AttrType.Model, (ulong)n.Model);
            switch (n.Kind)
            {
                case NicKind.Network: spec.Add(AttrType.Network, n.Source); break;
                case NicKind.Bridge: spec.Add(AttrType.Bridge, n.Source); break;
                default:
                    why = $"NIC {n.Mac:x12} is attached to a {Vmm.Protocol.Text.Names.Of(n.Kind)} interface, which no other host can give it";
                    return null;
            }
            p.Add(AttrType.NicSpec, spec);
        }
        p.Add(AttrType.Ha, 1);
        return p;
    }
}
