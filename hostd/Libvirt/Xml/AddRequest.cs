using Vmm.Protocol;

namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>A disk to create, from a disk-spec (spec §8.1), validated.</summary>
/// <param name="Target">Guest device name; null when the disk-spec gave none (then the next free vdX:
/// <see cref="RequestSpecs.ParseAdd"/> fills it in, other callers use <see cref="DiskTargets.Next"/>).</param>
/// <param name="Bus">Bus, never <see cref="DiskBus.Default"/> (the spec's default is virtio).</param>
/// <param name="Size">Bytes of a new blank volume, or the size to grow an overlay to; null for an overlay of the base's size.</param>
/// <param name="BaseImage">Absolute path of the image a copy-on-write overlay is made on; null for a blank volume.</param>
/// <param name="Volume">An existing volume of the host's pool, by name, used as it is (an HA restart, spec §15); null: a new one.</param>
internal sealed record DiskRequest(string? Target, DiskBus Bus, ulong? Size, string? BaseImage, string? Volume = null);

/// <summary>The parameters of an add request (spec §8.1), validated and with the spec's defaults applied.</summary>
internal sealed record AddRequest(Guid Uuid, string Name, ushort Vcpus, ushort MaxVcpus, ulong MemoryKib,
    ulong MaxMemoryKib, IReadOnlyList<DiskRequest> Disks, IReadOnlyList<NicDevice> Nics, bool Ha = false);
