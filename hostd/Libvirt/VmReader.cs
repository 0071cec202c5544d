// One domain as a complete VM record (spec §6.2). Works for every domain on the host, Vmm's or not.
using NLog;
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Libvirt;

internal static class VmReader
{
    /// <summary>VIR_DOMAIN_SHUTOFF_CRASHED: the emulator died.</summary>
    private const int ShutoffCrashed = 3;
    /// <summary>VIR_DOMAIN_CRASHED_PANICKED: the guest panicked.</summary>
    private const int CrashedPanicked = 1;

    /// <summary>The domain as a record; its XML is parsed only when it changed since <paramref name="descriptions"/> last saw it.</summary>
    public static VmState Read(ConnectionHandle conn, DomainHandle dom, DescriptionCache descriptions, Logger log)
    {
        var uuid = LibvirtApi.GetUuid(dom);
        var (state, reason) = LibvirtApi.GetState(dom);
        var (power, why) = Power(state, reason);
        var info = LibvirtApi.GetInfo(dom);
        bool active = state is not (DomainState.Shutoff or DomainState.Crashed);

        var flags = VmFlags.None;
        if (LibvirtApi.IsPersistent(dom)) flags |= VmFlags.Persistent;
        if (LibvirtApi.GetAutostart(dom)) flags |= VmFlags.Autostart;

        var attrs = new AttrList();
        string name = LibvirtApi.GetName(dom);
        ushort vcpus = info.NrVirtCpu;
        ulong memory = info.Memory.Value;
        ulong maxMemory = info.MaxMem.Value;
        ushort maxVcpus = vcpus;

        DomainDescription? description = null;
        try
        {
            using var xml = LibvirtApi.GetXmlDescUtf8(dom);
            description = descriptions.Get(uuid, xml.Utf8);
        }
        catch (FormatException e)
        {
            // A domain this reader cannot follow is still reported, without its devices.
            log.Warn("VM {0}: {1}", name, e.Message);
        }
        if (description is not null)
        {
            if (description.Ha) flags |= VmFlags.Ha;
            maxVcpus = Math.Max(description.MaxVcpus, vcpus);
            foreach (var d in description.Disks)
                attrs.Add(new DiskInfo(d.Target, d.Bus, d.Flags, Capacity(conn, dom, active, d, log)));
            foreach (var n in description.Nics)
                attrs.Add(n);
        }
        if (maxVcpus != vcpus) attrs.Add(AttrType.MaxVcpus, maxVcpus);
        if (maxMemory != memory) attrs.Add(AttrType.MaxMemory, maxMemory);
        int snapshots = LibvirtApi.CountSnapshots(dom);
        if (snapshots > 0) attrs.Add(AttrType.Snapshots, (ulong)Math.Min(snapshots, ushort.MaxValue));

        return new VmState
        {
            Uuid = uuid,
            Power = power,
            Reason = why,
            Flags = flags,
            Vcpus = vcpus,
            MemoryKib = memory,
            // VM names are libvirt's, which allows longer ones than a record carries.
            Name = ErrorPdu.Truncate(name, VmState.MaxNameBytes),
            Attributes = attrs,
        };
    }

    /// <summary>libvirt's state and reason as the protocol's power and reason (spec §8.3, §8.4): shut off because
    /// the emulator died is crashed/killed (2); libvirt's own crashed state is crashed/panicked (1) or unknown (0).</summary>
    public static (PowerState Power, byte Reason) Power(DomainState state, int reason) => state switch
    {
        DomainState.Shutoff when reason == ShutoffCrashed => (PowerState.Crashed, 2),
        DomainState.Crashed => (PowerState.Crashed, reason == CrashedPanicked ? (byte)1 : (byte)0),
        >= DomainState.NoState and <= DomainState.PmSuspended => ((PowerState)state, ClampReason(reason)),
        _ => (PowerState.Unknown, 0),
    };

    private static byte ClampReason(int reason) => reason is >= 0 and <= byte.MaxValue ? (byte)reason : (byte)0;

    // What the guest sees: the block device's capacity while the VM runs, else the volume's. Unknown is 0: a disk
    // outside any pool (a CD-ROM, a file placed by hand) still shows, only without a size.
    internal static ulong Capacity(ConnectionHandle conn, DomainHandle dom, bool active, DescribedDisk disk, Logger log)
    {
        try
        {
            if (active && disk.SourcePath is not null) return LibvirtApi.GetBlockInfo(dom, disk.Target).Capacity;
        }
        catch (HypervisorException e)
        {
            log.Debug("block info of {0}: {1}", disk.Target, e.Message);
        }
        if (disk.SourcePath is null) return 0;
        try
        {
            using var vol = LibvirtApi.LookupStorageVolume(conn, disk.SourcePath);
            return vol is null ? 0 : LibvirtApi.GetStorageVolumeInfo(vol).Capacity;
        }
        catch (HypervisorException e)
        {
            log.Debug("volume {0}: {1}", disk.SourcePath, e.Message);
            return 0;
        }
    }
}
