using Vmm.Protocol;

namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>A disk as Vmm defines it: a file (normally a qcow2 volume) attached at a guest target.</summary>
/// <param name="Target">Guest device name, such as vda.</param>
/// <param name="Bus">Bus; <see cref="DiskBus.Default"/> leaves the choice to libvirt (it infers one from the target).</param>
/// <param name="SourcePath">Absolute path of the image file; empty for a CD-ROM drive without a disc.</param>
/// <param name="ReadOnly">Whether the guest may only read it.</param>
/// <param name="Cdrom">A CD-ROM (a raw image, always read-only) instead of a qcow2 disk.</param>
internal sealed record DiskDevice(string Target, DiskBus Bus, string SourcePath, bool ReadOnly, bool Cdrom);

/// <summary>A NIC as Vmm defines it.</summary>
/// <param name="Kind"><see cref="NicKind.Network"/> or <see cref="NicKind.Bridge"/> from requests;
/// <see cref="NicKind.User"/> (no source) and <see cref="NicKind.Direct"/> (source is a host device) are written too.</param>
/// <param name="Source">Network or bridge name (host device for direct; ignored for user).</param>
/// <param name="Model">Device model; <see cref="NicModel.Default"/> leaves the choice to the hypervisor.</param>
/// <param name="Mac">MAC address in the low 48 bits, as the protocol's NicInfo carries it; null lets libvirt generate one.</param>
internal sealed record NicDevice(NicKind Kind, string Source, NicModel Model, ulong? Mac);
