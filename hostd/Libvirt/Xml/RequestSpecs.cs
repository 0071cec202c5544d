using Vmm.Protocol;
using Vmm.Protocol.Text;

namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>
/// Checks the parameters of add, and the disk-spec and nic-spec attribute lists of add, update-disk and
/// add-nic (spec §8.1), and applies the spec's defaults, before anything touches libvirt. The codec has
/// already checked each attribute's kind and length and refused unknown critical ones; what is left are the
/// rules between values. Unknown or extra parameters are ignored (spec §5.4).
/// </summary>
internal static class RequestSpecs
{
    /// <summary>vCPUs at start when add gives no vcpus.</summary>
    public const ushort DefaultVcpus = 1;

    /// <summary>
    /// Memory at start when add gives no memory: 512 MiB (524288 KiB). Enough for a small Linux server guest
    /// to boot, small enough that a host with a few GiB free can take several such VMs.
    /// </summary>
    public const ulong DefaultMemoryKib = 512 * 1024;

    /// <summary>The most KiB whose byte count still fits 64 bits, which is what libvirt counts in.</summary>
    public const ulong MaxMemoryKib = ulong.MaxValue / 1024;

    /// <summary>The longest bridge name: a Linux interface name (IFNAMSIZ less the terminating zero).</summary>
    public const int MaxBridgeLength = 15;

    /// <summary>The longest disk target (the registry's limit for target).</summary>
    public const int MaxTargetLength = 32;

    /// <summary>
    /// The parameters of add: name (required), vcpus (default <see cref="DefaultVcpus"/>), max-vcpus (default
    /// vcpus, not less), memory (default <see cref="DefaultMemoryKib"/>), max-memory (default memory, not
    /// less), disk-specs (targets not given become the next free vdX after those given), nic-specs.
    /// </summary>
    /// <exception cref="SpecException">a rule is broken; the message names the parameter and the rule.</exception>
    public static AddRequest ParseAdd(Guid uuid, AttrList parameters)
    {
        var name = parameters.Text(AttrType.Name) ?? throw new SpecException("name is required: the new VM needs a name");
        if (Validation.NameProblem(name, "name") is string problem) throw new SpecException(problem);

        ulong vcpus = parameters.Number(AttrType.Vcpus) ?? DefaultVcpus;
        if (vcpus == 0) throw new SpecException("vcpus 0: a VM needs at least 1 vCPU");
        if (vcpus > ushort.MaxValue) throw new SpecException($"vcpus {vcpus}: at most {ushort.MaxValue}");
        ulong maxVcpus = parameters.Number(AttrType.MaxVcpus) ?? vcpus;
        if (maxVcpus < vcpus) throw new SpecException($"max-vcpus {maxVcpus} is less than vcpus {vcpus}: the maximum must be at least the vCPUs at start");
        if (maxVcpus > ushort.MaxValue) throw new SpecException($"max-vcpus {maxVcpus}: at most {ushort.MaxValue}");

        ulong memory = Memory(parameters.Number(AttrType.Memory) ?? DefaultMemoryKib, "memory");
        ulong maxMemory = Memory(parameters.Number(AttrType.MaxMemory) ?? memory, "max-memory");
        if (maxMemory < memory) throw new SpecException($"max-memory {SizeText.ExactKib(maxMemory)} is less than memory {SizeText.ExactKib(memory)}: the maximum must be at least the memory at start");

        var disks = new List<DiskRequest>();
        foreach (var a in parameters.All(AttrType.DiskSpec))
            disks.Add(ParseDisk(a.Nested ?? []));
        var given = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in disks)
            if (d.Target is string t && !given.Add(t)) throw new SpecException($"disk-spec: target {t} is given twice");
        for (int i = 0; i < disks.Count; i++)
        {
            if (disks[i].Target is not null) continue;
            var t = DiskTargets.Next(given);
            given.Add(t);
            disks[i] = disks[i] with { Target = t };
        }

        var nics = new List<NicDevice>();
        var macs = new HashSet<ulong>();
        foreach (var a in parameters.All(AttrType.NicSpec))
        {
            var nic = ParseNic(a.Nested ?? []);
            if (nic.Mac is ulong mac && !macs.Add(mac)) throw new SpecException($"nic-spec: mac {MacText.Format(mac)} is given twice");
            nics.Add(nic);
        }

        bool ha = (parameters.Number(AttrType.Ha) ?? 0) switch
        {
            0 => false,
            1 => true,
            var v => throw new SpecException($"ha {v} is not 0 (off) or 1 (on)"),
        };
        return new AddRequest(uuid, name, (ushort)vcpus, (ushort)maxVcpus, memory, maxMemory, disks, nics, ha);
    }

    /// <summary>
    /// One disk-spec: size (a new blank qcow2 volume of that many bytes) or base-image (an absolute path: a
    /// qcow2 overlay on it, which size may grow), target (null when not given), bus (default virtio).
    /// </summary>
    /// <exception cref="SpecException">a rule is broken; the message names the parameter and the rule.</exception>
    public static DiskRequest ParseDisk(AttrList diskSpec)
    {
        ulong? size = diskSpec.Number(AttrType.Size);
        string? baseImage = diskSpec.Text(AttrType.BaseImage);
        string? volume = diskSpec.Text(AttrType.Volume);
        if (volume is not null)
        {
            if (size is not null || baseImage is not null)
                throw new SpecException("disk-spec: volume names an existing volume: give neither size nor base-image with it");
            if (volume.Length == 0 || volume.Contains('/') || volume is "." or "..")
                throw new SpecException($"disk-spec: volume '{Validation.Shorten(volume)}' must be the name of a volume in the host's storage pool, not a path");
        }
        else if (size is null && baseImage is null) throw new SpecException("disk-spec: give size or base-image");
        if (size == 0) throw new SpecException("disk-spec: size 0: a disk needs at least 1 byte");
        if (baseImage is not null && !baseImage.StartsWith('/'))
            throw new SpecException($"disk-spec: base-image '{Validation.Shorten(baseImage)}' must be an absolute path");

        string? target = diskSpec.Text(AttrType.Target);
        if (target is not null)
        {
            if (Validation.NameProblem(target, "disk-spec: target") is string problem) throw new SpecException(problem);
            if (target.Length > MaxTargetLength) throw new SpecException($"disk-spec: target '{Validation.Shorten(target)}' is longer than {MaxTargetLength} characters");
        }

        ulong bus = diskSpec.Number(AttrType.Bus) ?? (ulong)DiskBus.Default;
        if (bus > (ulong)DiskBus.Usb) throw new SpecException($"disk-spec: bus {bus} is not one of 0-5 (default, virtio, scsi, sata, ide, usb)");
        var b = (DiskBus)bus;
        return new DiskRequest(target, b == DiskBus.Default ? DiskBus.Virtio : b, size, baseImage, volume);
    }

    /// <summary>
    /// One nic-spec: exactly one of network or bridge, model (default virtio), mac (a unicast address; null
    /// when not given, and libvirt generates one).
    /// </summary>
    /// <exception cref="SpecException">a rule is broken; the message names the parameter and the rule.</exception>
    public static NicDevice ParseNic(AttrList nicSpec)
    {
        string? network = nicSpec.Text(AttrType.Network);
        string? bridge = nicSpec.Text(AttrType.Bridge);
        if ((network is null) == (bridge is null)) throw new SpecException("nic-spec: give exactly one of network or bridge");
        if (network is not null && Validation.NameProblem(network, "nic-spec: network") is string np) throw new SpecException(np);
        if (bridge is not null)
        {
            if (Validation.NameProblem(bridge, "nic-spec: bridge") is string bp) throw new SpecException(bp);
            if (bridge.Length > MaxBridgeLength) throw new SpecException($"nic-spec: bridge '{bridge}' is longer than {MaxBridgeLength} characters, the most a Linux interface name has");
        }

        ulong model = nicSpec.Number(AttrType.Model) ?? (ulong)NicModel.Default;
        if (model > (ulong)NicModel.E1000e) throw new SpecException($"nic-spec: model {model} is not one of 0-4 (default, virtio, e1000, rtl8139, e1000e)");
        var m = (NicModel)model;

        ulong? mac = nicSpec.Number(AttrType.Mac);
        if (mac is ulong v)
        {
            if (v > MacText.Max) throw new SpecException($"nic-spec: mac {v:x} has more than 48 bits");
            if (v == 0) throw new SpecException("nic-spec: mac 00:00:00:00:00:00 is not a usable address");
            if (MacText.IsMulticast(v)) throw new SpecException($"nic-spec: mac {MacText.Format(v)} is a multicast address; a NIC needs a unicast one (lowest bit of the first octet clear)");
        }

        return new NicDevice(network is not null ? NicKind.Network : NicKind.Bridge, network ?? bridge!,
            m == NicModel.Default ? NicModel.Virtio : m, mac);
    }

    private static ulong Memory(ulong kib, string what)
    {
        if (kib == 0) throw new SpecException($"{what} 0 KiB: a VM needs memory (in KiB: 524288 is 512 MiB)");
        if (kib > MaxMemoryKib) throw new SpecException($"{what} {kib} KiB is more than 2^64 bytes");
        return kib;
    }
}
