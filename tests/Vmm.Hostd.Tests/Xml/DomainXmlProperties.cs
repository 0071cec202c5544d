// The law behind add and every later read: what DomainXml.Build writes, DomainXmlReader.Parse gives back,
// for any values, however much XML syntax they hold.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Xml;

[Properties(Arbitrary = [typeof(XmlArbs)], MaxTest = 300)]
public sealed class DomainXmlProperties
{
    [Property]
    public bool Parse_of_Build_recovers_the_spec(AnySpec any)
    {
        var spec = any.Spec;
        var d = DomainXmlReader.Parse(DomainXml.Build(spec, Support.Samples.Kvm));
        var owned = spec.OwnedVolumes.ToHashSet(StringComparer.Ordinal);

        var disks = spec.Disks.Select(x => new DescribedDisk(x.Target, x.Bus,
            (x.ReadOnly || x.Cdrom ? DiskFlags.ReadOnly : 0) | (x.Cdrom ? DiskFlags.Cdrom : 0) | (owned.Contains(x.SourcePath) ? DiskFlags.Owned : 0),
            x.SourcePath));
        var nics = spec.Nics.Select(n => new NicInfo(n.Mac ?? 0, n.Model, n.Kind, n.Kind == NicKind.User ? "" : n.Source));
        return d.MaxVcpus == spec.MaxVcpus && d.MaxMemoryKib == spec.MaxMemoryKib
            && d.Disks.SequenceEqual(disks) && d.Nics.SequenceEqual(nics) && d.OwnedVolumes.SetEquals(owned);
    }

    [Property]
    public bool Metadata_for_SetMetadata_keeps_every_path(AnySpec any) =>
        System.Xml.Linq.XElement.Parse(Metadata.Element(any.Spec.OwnedVolumes, ha: false)).Elements("volume").Select(v => v.Value)
            .SequenceEqual(any.Spec.OwnedVolumes);
}

/// <summary>A random domain spec (the spec type is internal; xunit needs public parameter types).</summary>
public sealed class AnySpec
{
    internal AnySpec(DomainSpec spec) => Spec = spec;

    internal DomainSpec Spec { get; }

    public override string ToString() =>
        $"{Spec} disks [{string.Join(", ", Spec.Disks)}] nics [{string.Join(", ", Spec.Nics)}] owned [{string.Join(", ", Spec.OwnedVolumes)}]";
}

public static class XmlArbs
{
    // Pieces that break naive XML building: markup, entities, quotes, CDATA ends, spaces at the edges, non-ASCII.
    private static readonly Gen<string> Piece = Gen.Elements(
        "a", "Z", "0", "-", "/", " ", "<", ">", "&", "\"", "'", "]]>", "&amp;", "<!--", "<x/>", "é", "€", "😀");

    private static readonly Gen<string> Value =
        from n in Gen.Choose(1, 12)
        from parts in Gen.ArrayOf(Piece, n)
        select string.Concat(parts);

    private static readonly Gen<DiskDevice> Disk =
        from target in Value
        from bus in Gen.Elements(Enum.GetValues<DiskBus>())
        from path in Value
        from ro in Gen.Elements(true, false)
        from cdrom in Gen.Elements(true, false)
        select new DiskDevice(target, bus, "/" + path, ro, cdrom);

    private static readonly Gen<ulong?> Mac = Gen.Frequency(
        (1, Gen.Constant<ulong?>(null)),
        (3, Gen.Choose(0, int.MaxValue).Select(i => (ulong?)(0x5254_0000_0000UL | (uint)i))),
        (1, Gen.Elements<ulong?>(1, MacText.Max)));

    private static readonly Gen<NicDevice> Nic =
        from kind in Gen.Elements(NicKind.Network, NicKind.Bridge, NicKind.User, NicKind.Direct)
        from source in Value
        from model in Gen.Elements(Enum.GetValues<NicModel>())
        from mac in Mac
        select new NicDevice(kind, source, model, mac);

    public static Arbitrary<AnySpec> Spec() => Arb.From(
        from name in Value
        from vcpus in Gen.Choose(1, ushort.MaxValue)
        from extraVcpus in Gen.Choose(0, ushort.MaxValue - vcpus)
        from memory in Gen.Elements(1UL, 524288UL, RequestSpecs.MaxMemoryKib / 2)
        from extraMemory in Gen.Elements(0UL, 1UL, 1048576UL)
        from disks in Gen.ListOf(Disk)
        from nics in Gen.ListOf(Nic)
        from owned in Gen.Frequency(
            (2, Gen.SubListOf(disks.Select(d => d.SourcePath).ToArray())),
            (1, Gen.ListOf(Value.Select(v => "/" + v))))
        select new AnySpec(new DomainSpec(Guid.NewGuid(), name, (ushort)vcpus, (ushort)(vcpus + extraVcpus), memory, memory + extraMemory,
            disks, nics, owned.ToList())));
}
