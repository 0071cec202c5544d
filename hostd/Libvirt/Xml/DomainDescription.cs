using Vmm.Protocol;

namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>What a VM record needs from a domain's XML (the rest comes from virDomainGetInfo and friends).</summary>
/// <param name="MaxVcpus">The vcpu element's value: vCPUs the domain may have online.</param>
/// <param name="MaxMemoryKib">The memory element: the most memory the domain may be given while running, KiB.</param>
/// <param name="Disks">Every disk element, in device order.</param>
/// <param name="Nics">Every interface element, in device order.</param>
/// <param name="OwnedVolumes">Paths in Vmm's metadata (<see cref="Metadata"/>): the volumes delete removes. Empty for domains defined outside Vmm.</param>
/// <param name="Ha">Vmm's metadata marks the VM HA (spec §15).</param>
internal sealed record DomainDescription(ushort MaxVcpus, ulong MaxMemoryKib, IReadOnlyList<DescribedDisk> Disks,
    IReadOnlyList<NicInfo> Nics, IReadOnlySet<string> OwnedVolumes, bool Ha = false);

/// <summary>A disk as the domain XML describes it; its capacity comes from elsewhere (virDomainGetBlockInfo).</summary>
/// <param name="Target">Guest device name, such as vda.</param>
/// <param name="Bus">Bus; <see cref="DiskBus.Default"/> for buses the protocol has no value for (fdc, xen, sd) or none given.</param>
/// <param name="Flags">ReadOnly for &lt;readonly/&gt;, Cdrom for device='cdrom', Owned when the source is in Vmm's metadata.</param>
/// <param name="SourcePath">The file (type file), device (block) or directory (dir); null for network and
/// pool volumes, which have no host path here, and for an empty CD-ROM drive.</param>
internal sealed record DescribedDisk(string Target, DiskBus Bus, DiskFlags Flags, string? SourcePath);
