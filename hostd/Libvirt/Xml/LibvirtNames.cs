using Vmm.Protocol;

namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>
/// The protocol's bus, model and kind registries (spec §8.5, §8.6) against the words libvirt's XML uses.
/// Reading is lenient (a domain defined outside Vmm may use anything libvirt knows): a word without a
/// protocol value reads as default or other.
/// </summary>
internal static class LibvirtNames
{
    /// <summary>libvirt's bus attribute for <paramref name="bus"/>, or null for <see cref="DiskBus.Default"/>.</summary>
    public static string? Bus(DiskBus bus) => bus switch
    {
        DiskBus.Default => null,
        DiskBus.Virtio => "virtio",
        DiskBus.Scsi => "scsi",
        DiskBus.Sata => "sata",
        DiskBus.Ide => "ide",
        DiskBus.Usb => "usb",
        _ => throw new ArgumentOutOfRangeException(nameof(bus), bus, "not a disk bus of spec §8.5"),
    };

    public static DiskBus ParseBus(string? bus) => bus switch
    {
        "virtio" => DiskBus.Virtio,
        "scsi" => DiskBus.Scsi,
        "sata" => DiskBus.Sata,
        "ide" => DiskBus.Ide,
        "usb" => DiskBus.Usb,
        _ => DiskBus.Default,
    };

    /// <summary>libvirt's model type for <paramref name="model"/>, or null for <see cref="NicModel.Default"/>.</summary>
    public static string? Model(NicModel model) => model switch
    {
        NicModel.Default => null,
        NicModel.Virtio => "virtio",
        NicModel.E1000 => "e1000",
        NicModel.Rtl8139 => "rtl8139",
        NicModel.E1000e => "e1000e",
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "not a NIC model of spec §8.6"),
    };

    // The transitional variants are virtio devices to the guest; only the PCI flavour differs.
    public static NicModel ParseModel(string? model) => model switch
    {
        "virtio" or "virtio-transitional" or "virtio-non-transitional" => NicModel.Virtio,
        "e1000" => NicModel.E1000,
        "rtl8139" => NicModel.Rtl8139,
        "e1000e" => NicModel.E1000e,
        _ => NicModel.Default,
    };

    /// <summary>libvirt's interface type for <paramref name="kind"/>.</summary>
    public static string Kind(NicKind kind) => kind switch
    {
        NicKind.Network => "network",
        NicKind.Bridge => "bridge",
        NicKind.User => "user",
        NicKind.Direct => "direct",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "a NIC of kind other cannot be written"),
    };

    public static NicKind ParseKind(string? kind) => kind switch
    {
        "network" => NicKind.Network,
        "bridge" => NicKind.Bridge,
        "user" => NicKind.User,
        "direct" => NicKind.Direct,
        _ => NicKind.Other,
    };
}
