// remove, delete, stop and migrate: the lifecycle requests that are more than one libvirt call.
using System.Diagnostics;
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Libvirt;

internal sealed partial class LibvirtHypervisor
{
    /// <summary>stop's graceful wait when the request gives no timeout-ms (spec §8.1).</summary>
    internal const uint DefaultStopTimeoutMs = 60_000;

    private static readonly TimeSpan StopPoll = TimeSpan.FromMilliseconds(200);

    // remove: destroy if running, undefine with its snapshot metadata, managed save and NVRAM; disks stay.
    // delete: the same, then the volumes Vmm created for the VM that are still attached to it.
    private Outcome Remove(LibvirtSession s, RequestPdu r, bool deleteOwnedVolumes)
    {
        using var dom = Domain(s, r.Vm);
        var owned = new List<string>();
        if (deleteOwnedVolumes)
        {
            var description = Describe(dom);
            foreach (var d in description.Disks)
                if (d.Flags.HasFlag(DiskFlags.Owned) && d.SourcePath is not null) owned.Add(d.SourcePath);
        }

        // Asked before destroying: a transient VM is gone once destroyed, and there is nothing left to undefine.
        bool persistent = LibvirtApi.IsPersistent(dom);
        if (LibvirtApi.IsActive(dom)) LibvirtApi.Destroy(dom);
        if (persistent) Undefine(dom);

        var left = TryDeleteVolumes(s, owned);
        return left.Count == 0
            ? Outcome.Success(r.Vm)
            : Outcome.Failure(r.Vm, $"the VM is gone, but these volumes could not be deleted: {string.Join(", ", left)}");
    }

    // Drivers accept different undefine flags (the test driver has no NVRAM): try all, then the ones every driver has.
    private static void Undefine(DomainHandle dom)
    {
        const UndefineFlags all = UndefineFlags.SnapshotsMetadata | UndefineFlags.ManagedSave | UndefineFlags.Nvram | UndefineFlags.CheckpointsMetadata;
        try
        {
            LibvirtApi.Undefine(dom, all);
        }
        catch (HypervisorException e) when (e.ErrorCode is ErrorNumber.InvalidArg or ErrorNumber.NoSupport or ErrorNumber.ArgumentUnsupported)
        {
            LibvirtApi.Undefine(dom, UndefineFlags.SnapshotsMetadata | UndefineFlags.ManagedSave);
        }
    }

    // stop: ACPI shutdown, then poll until the VM is off or timeout-ms passed; with force, destroy after that.
    private static Outcome Stop(LibvirtSession s, RequestPdu r)
    {
        uint timeoutMs = (uint)Math.Min(r.Parameters.Number(AttrType.TimeoutMs) ?? DefaultStopTimeoutMs, uint.MaxValue);
        bool force = r.Flags.HasFlag(RequestFlags.Force);
        using var dom = Domain(s, r.Vm);
        if (force && timeoutMs == 0)
        {
            LibvirtApi.Destroy(dom);
            return Outcome.Success(r.Vm);
        }

        LibvirtApi.Shutdown(dom);
        var waited = Stopwatch.StartNew();
        while (IsUp(dom))
        {
            var left = TimeSpan.FromMilliseconds(timeoutMs) - waited.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                if (!force) return Outcome.Failure(r.Vm, $"still running after {timeoutMs} ms: the guest did not shut down (stop with force destroys it)");
                LibvirtApi.Destroy(dom);
                break;
            }
            Thread.Sleep(left < StopPoll ? left : StopPoll);
        }
        return Outcome.Success(r.Vm);
    }

    private static bool IsUp(DomainHandle dom) => LibvirtApi.GetState(dom).State is not (DomainState.Shutoff or DomainState.Crashed);

    // migrate: live, peer to peer, persistent at the destination and undefined here. Disks are copied only when
    // the destination does not already see them (shared storage would otherwise be copied onto itself); copied,
    // the VM's own volumes here are then left to no one, so they are deleted.
    private Outcome Migrate(LibvirtSession s, RequestPdu r)
    {
        string dest = Parameters.RequiredText(r.Parameters, AttrType.DestUri, "dest-uri", "the libvirt URI of the destination host");
        using var dom = Domain(s, r.Vm);
        // libvirt refuses with "cannot migrate domain with N snapshots" only once asked; said first, with the way out.
        int snapshots = LibvirtApi.CountSnapshots(dom);
        if (snapshots > 0)
            throw new SpecException($"the VM has {snapshots} snapshot(s), which live migration cannot take along (they are kept in its disks on this host): delete them first");
        var description = Describe(dom);
        var flags = MigrateFlags.Live | MigrateFlags.PeerToPeer | MigrateFlags.PersistDest | MigrateFlags.UndefineSource | MigrateFlags.Unsafe;
        bool copied = !DestinationSeesDisks(dest, description);
        if (copied) flags |= MigrateFlags.NonSharedDisk;
        LibvirtApi.MigrateToUri(dom, dest, flags);
        if (!copied) return Outcome.Success(r.Vm);

        var owned = description.Disks.Where(d => d.Flags.HasFlag(DiskFlags.Owned) && d.SourcePath is not null).Select(d => d.SourcePath!).ToList();
        var left = TryDeleteVolumes(s, owned);
        if (left.Count > 0)
            _log.Warn("migrated VM {0}, but its copied volumes stay on this host: {1}", r.Vm, string.Join(", ", left));
        return Outcome.Success(r.Vm);
    }

    /// <summary>Whether every writable disk's path is a volume at the destination too. Every Vmm host keeps its
    /// volumes in the same pool at the same path, so shared storage shows there as the same volume. When the
    /// destination cannot be asked, storage is taken as shared: a missing disk then fails the migration, where
    /// copying onto shared storage would corrupt it.</summary>
    private bool DestinationSeesDisks(string destUri, DomainDescription description)
    {
        var paths = description.Disks
            .Where(d => d.SourcePath is not null && (d.Flags & (DiskFlags.ReadOnly | DiskFlags.Cdrom)) == 0)
            .Select(d => d.SourcePath!)
            .ToList();
        if (paths.Count == 0) return true;
        try
        {
            using var dest = LibvirtApi.Open(destUri, readOnly: true);
            foreach (var path in paths)
            {
                using var vol = LibvirtApi.LookupStorageVolume(dest, path);
                if (vol is null) return false;
            }
            return true;
        }
        catch (HypervisorException e)
        {
            _log.Warn("migrate: cannot ask {0} about its storage ({1}); taking storage as shared", destUri, e.Message);
            return true;
        }
    }

    /// <summary>The domain's devices and maxima as its XML describes them.</summary>
    private static DomainDescription Describe(DomainHandle dom)
    {
        try
        {
            return DomainXmlReader.Parse(LibvirtApi.GetXmlDesc(dom));
        }
        catch (FormatException e)
        {
            throw new HypervisorException(AckCode.Failure, 0, e.Message);
        }
    }
}
