// add: validate, create the disks' volumes, define the domain; a failed define leaves no volume behind.
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Libvirt;

internal sealed partial class LibvirtHypervisor
{
    private Outcome Add(LibvirtSession s, RequestPdu r)
    {
        var spec = RequestSpecs.ParseAdd(r.Vm, r.Parameters);
        // Every base image is checked before anything is made.
        spec = spec with { Disks = [.. spec.Disks.Select(Checked)] };
        var uuid = spec.Uuid == Guid.Empty ? Guid.NewGuid() : spec.Uuid;

        // Checked first so that a clash costs no volume: libvirt would refuse the define only after them.
        using (var same = LibvirtApi.LookupDomain(s.Connection, uuid))
            if (same is not null) return Outcome.Failure(uuid, $"a VM with uuid {uuid} already exists on this host ({LibvirtApi.GetName(same)})");
        using (var same = LibvirtApi.LookupDomain(s.Connection, spec.Name))
            if (same is not null) return Outcome.Failure(uuid, $"a VM named {spec.Name} already exists on this host ({LibvirtApi.GetUuid(same)})");

        CheckNetworks(s, spec.Nics);

        var created = new List<string>();
        var owned = new List<string>();
        try
        {
            var disks = new List<DiskDevice>();
            if (spec.Disks.Count > 0)
            {
                using var pool = Pool(s);
                var used = new HashSet<string>(spec.Disks.Where(d => d.Target is not null).Select(d => d.Target!), StringComparer.Ordinal);
                foreach (var d in spec.Disks)
                {
                    string target = d.Target ?? DiskTargets.Next(used);
                    used.Add(target);
                    string path;
                    if (d.Volume is string volume) path = ExistingVolume(s, pool, volume);
                    else created.Add(path = CreateVolume(pool, spec.Name, target, d));
                    owned.Add(path);
                    disks.Add(new DiskDevice(target, d.Bus, path, ReadOnly: false, Cdrom: false));
                }
            }
            var domain = new DomainSpec(uuid, spec.Name, spec.Vcpus, spec.MaxVcpus, spec.MemoryKib, spec.MaxMemoryKib, disks, spec.Nics, owned, spec.Ha);
            using var dom = LibvirtApi.DefineDomain(s.Connection, DomainXml.Build(domain, s.Flavor));
            _log.Info("added VM {0} ({1}) with {2} disk(s){3}", spec.Name, uuid, disks.Count, spec.Ha ? ", HA" : "");
            return Outcome.Success(uuid);
        }
        catch (Exception e) when (e is HypervisorException or SpecException or FormatException)
        {
            DeleteVolumes(s, created);
            if (e is FormatException) throw new HypervisorException(AckCode.Failure, 0, e.Message);
            throw;
        }
    }

    // A volume an HA restart names (spec §15): made by an add on another host, in the pool's directory, which hosts
    // that restart each other's VMs share. Used as it is; it counts as Vmm's (delete removes it), and a failed add
    // leaves it alone.
    // libvirt is asked, not the file system: hostd need not see the pool's folder (libvirtd does, as root), and a
    // volume another host made is known once the pool is read again.
    private string ExistingVolume(LibvirtSession s, StoragePoolHandle pool, string volume)
    {
        string path = Path.Combine(_options.PoolPath, volume);
        LibvirtApi.RefreshStoragePool(pool);
        using var vol = LibvirtApi.LookupStorageVolume(s.Connection, path);
        if (vol is null)
            throw new HypervisorException(AckCode.NotFound, 0,
                $"disk-spec: volume {volume} is not in storage pool {_options.PoolName} ({_options.PoolPath}) on this host: restarting a VM elsewhere needs its disks on storage the hosts share");
        return LibvirtApi.GetStorageVolumePath(vol);
    }
}
