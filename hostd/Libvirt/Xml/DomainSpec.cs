namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>Everything <see cref="DomainXml.Build"/> needs to define a persistent domain.</summary>
/// <param name="Uuid">The domain's uuid; <see cref="Guid.Empty"/> lets libvirt choose one.</param>
/// <param name="Name">libvirt name.</param>
/// <param name="Vcpus">vCPUs online at start (1 to <paramref name="MaxVcpus"/>).</param>
/// <param name="MaxVcpus">vCPUs the domain may be given while running.</param>
/// <param name="MemoryKib">Memory at start, KiB (at most <paramref name="MaxMemoryKib"/>).</param>
/// <param name="MaxMemoryKib">Memory the domain may be given while running (the balloon's ceiling), KiB.</param>
/// <param name="Disks">Disks in guest device order.</param>
/// <param name="Nics">NICs in guest device order.</param>
/// <param name="OwnedVolumes">Paths of the volumes Vmm created for the domain (kept in its metadata; delete removes them).</param>
/// <param name="Ha">The VM is HA (kept in its metadata, spec §15).</param>
internal sealed record DomainSpec(Guid Uuid, string Name, ushort Vcpus, ushort MaxVcpus, ulong MemoryKib,
    ulong MaxMemoryKib, IReadOnlyList<DiskDevice> Disks, IReadOnlyList<NicDevice> Nics, IReadOnlyList<string> OwnedVolumes, bool Ha = false);
