// add-nic, remove-nic and update-disk: devices attached and detached live (when running) and persistently.
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Hostd.Libvirt;

internal sealed partial class LibvirtHypervisor
{
    private static Outcome AddNic(LibvirtSession s, RequestPdu r)
    {
        var nic = RequestSpecs.ParseNic(Parameters.RequiredNested(r.Parameters, AttrType.NicSpec, "nic-spec", "the NIC to attach"));
        using var dom = Domain(s, r.Vm);
        CheckNetworks(s, [nic]);
        LibvirtApi.AttachDevice(dom, DeviceXml.Nic(nic), LiveAndConfig(dom));
        return Outcome.Success(r.Vm);
    }

    private static Outcome RemoveNic(LibvirtSession s, RequestPdu r)
    {
        ulong mac = Parameters.RequiredNumber(r.Parameters, AttrType.Mac, "mac", "the MAC address of the NIC to detach");
        using var dom = Domain(s, r.Vm);
        var nic = Describe(dom).Nics.FirstOrDefault(n => n.Mac == mac)
            ?? throw new SpecException($"mac {MacText.Format(mac)}: the VM has no NIC with this address");
        var affect = LiveAndConfig(dom);
        LibvirtApi.DetachDevice(dom, DeviceXml.Nic(new NicDevice(nic.Kind, nic.Source, nic.Model, nic.Mac)), affect);
        return affect.HasFlag(Affect.Live) && Describe(dom).Nics.Any(n => n.Mac == mac)
            ? NotReleased(r.Vm, $"NIC {MacText.Format(mac)}")
            : Outcome.Success(r.Vm);
    }

    private Outcome UpdateDisk(LibvirtSession s, RequestPdu r)
    {
        ulong op = Parameters.RequiredNumber(r.Parameters, AttrType.DiskOp, "disk-op", "attach (0), detach (1) or resize (2)");
        return op switch
        {
            (ulong)DiskOp.Attach => AttachDisk(s, r),
            (ulong)DiskOp.Detach => DetachDisk(s, r),
            (ulong)DiskOp.Resize => ResizeDisk(s, r),
            _ => throw new SpecException($"disk-op {op} is not one of attach (0), detach (1), resize (2)"),
        };
    }

    // A new owned volume, attached; the volume goes again if the attach is refused.
    private Outcome AttachDisk(LibvirtSession s, RequestPdu r)
    {
        var request = Checked(RequestSpecs.ParseDisk(Parameters.RequiredNested(r.Parameters, AttrType.DiskSpec, "disk-spec", "the disk to attach")));
        if (request.Volume is not null) throw new SpecException("disk-spec: volume is taken by add alone (an HA restart); attach a disk with size or base-image");
        using var dom = Domain(s, r.Vm);
        var description = Describe(dom);
        var used = description.Disks.Select(d => d.Target).ToHashSet(StringComparer.Ordinal);
        string target = request.Target ?? DiskTargets.Next(used);
        if (used.Contains(target)) throw new SpecException($"disk-spec: target {target} is already a disk of this VM");

        string path;
        using (var pool = Pool(s))
            path = CreateVolume(pool, LibvirtApi.GetName(dom), target, request);
        try
        {
            var affect = LiveAndConfig(dom);
            LibvirtApi.AttachDevice(dom, DeviceXml.Disk(new DiskDevice(target, request.Bus, path, ReadOnly: false, Cdrom: false)), affect);
            SetOwnedVolumes(dom, description.OwnedVolumes.Append(path), description.Ha, affect);
        }
        catch (HypervisorException)
        {
            DeleteVolumes(s, [path]);
            throw;
        }
        return Outcome.Success(r.Vm);
    }

    // The device goes, the volume stays (spec §8.1); it is no longer the VM's, so delete will not remove it.
    private static Outcome DetachDisk(LibvirtSession s, RequestPdu r)
    {
        string target = Parameters.RequiredText(r.Parameters, AttrType.Target, "target", "the guest device name of the disk to detach");
        using var dom = Domain(s, r.Vm);
        var description = Describe(dom);
        var disk = FindDisk(description, target);
        var affect = LiveAndConfig(dom);
        LibvirtApi.DetachDevice(dom, DeviceXml.Disk(ToDevice(disk)), affect);
        if (disk.SourcePath is string path && description.OwnedVolumes.Contains(path))
            SetOwnedVolumes(dom, description.OwnedVolumes.Where(p => p != path), description.Ha, affect);
        return affect.HasFlag(Affect.Live) && Describe(dom).Disks.Any(d => d.Target == target)
            ? NotReleased(r.Vm, $"disk {target}")
            : Outcome.Success(r.Vm);
    }

    /// <summary>
    /// libvirt takes a device out of a running guest only once the guest acknowledges the unplug (ACPI); it waits a
    /// few seconds for that, then returns with the device still there, and removes it whenever the guest does. The
    /// definition no longer has it, so the request has done what it can: a success that says the rest is the guest's.
    /// </summary>
    private static Outcome NotReleased(Guid vm, string device) =>
        Outcome.Success(vm, new AttrList().Add(AttrType.Message,
            $"{device} is detached from the VM's definition, but the running guest has not released it yet: it goes when the guest acknowledges the unplug (a guest without an OS never does), or at the VM's next stop"));

    // Grow only: a disk shrunk under a guest's file system loses data.
    private Outcome ResizeDisk(LibvirtSession s, RequestPdu r)
    {
        string target = Parameters.RequiredText(r.Parameters, AttrType.Target, "target", "the guest device name of the disk to resize");
        ulong size = Parameters.RequiredNumber(r.Parameters, AttrType.Size, "size", "the new size in bytes");
        using var dom = Domain(s, r.Vm);
        var disk = FindDisk(Describe(dom), target);
        bool active = LibvirtApi.IsActive(dom);
        ulong current = VmReader.Capacity(s.Connection, dom, active, disk, _log);
        if (size <= current)
            throw new SpecException($"size {SizeText.Exact(size)} is not above the current capacity {SizeText.Exact(current)} of {target}: disks only grow");
        if (active)
        {
            LibvirtApi.BlockResize(dom, target, size);
        }
        else
        {
            if (disk.SourcePath is null) throw new SpecException($"target {target}: the disk has no source file to resize");
            using var vol = LibvirtApi.LookupStorageVolume(s.Connection, disk.SourcePath)
                ?? throw new HypervisorException(AckCode.Failure, ErrorNumber.NoStorageVolume, $"target {target}: {disk.SourcePath} is in no storage pool of this host, so it cannot be resized while the VM is off");
            LibvirtApi.ResizeStorageVolume(vol, size);
        }
        return Outcome.Success(r.Vm);
    }

    private static DescribedDisk FindDisk(DomainDescription description, string target) =>
        description.Disks.FirstOrDefault(d => d.Target == target)
        ?? throw new SpecException($"target {target}: the VM has no disk with this name");

    private static DiskDevice ToDevice(DescribedDisk d) =>
        new(d.Target, d.Bus, d.SourcePath ?? "", d.Flags.HasFlag(DiskFlags.ReadOnly), d.Flags.HasFlag(DiskFlags.Cdrom));

    // The list of owned volumes lives in the domain's metadata, which is what delete reads; the HA mark beside it
    // is written back as it was (the element is replaced whole).
    private static void SetOwnedVolumes(DomainHandle dom, IEnumerable<string> paths, bool ha, Affect affect) =>
        LibvirtApi.SetMetadataElement(dom, Metadata.Element(paths.Distinct(StringComparer.Ordinal), ha), Metadata.Key, Metadata.Namespace, affect);
}
