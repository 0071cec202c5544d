// The generators reach the whole wire ranges: a property over a generator that never makes a 2^64-1 request
// id or a 1024-byte message proves nothing about them. (That every generated PDU is valid is proved by the
// round-trip laws, which decode each one.)
using System.Text;
using FsCheck.Fluent;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Tests.Generators;

namespace Vmm.Protocol.Tests.Properties;

public sealed class GeneratorCoverageTests
{
    private static readonly Pdu[] Sample = Gen.Sample(Gens.AnyPdu, 4000);

    private static IEnumerable<AttrList> Lists(Pdu p) => p switch
    {
        StatePdu s => [s.Facts, .. s.Vms.Select(v => v.Attributes)],
        RequestPdu r => [r.Parameters],
        AckPdu a => [a.Results],
        ErrorPdu e => [e.Attributes],
        AdminQueryPdu q => [q.Filters],
        AdminSubmitPdu m => [m.Parameters],
        AdminHostPdu h => [h.Attributes],
        AdminVmPdu v => [v.Attributes, v.Vm.Attributes],
        AdminResultPdu r => [r.Attributes],
        AdminEventPdu e => [e.Attributes],
        UsagePdu u => [.. u.Vms.Select(v => v.Attributes)],
        _ => [],
    };

    private static IEnumerable<Attr> Attrs(AttrList l) => l.SelectMany(a => a.Nested is null ? [a] : Attrs(a.Nested).Prepend(a));

    private static readonly Attr[] AllAttrs = Sample.SelectMany(Lists).SelectMany(Attrs).ToArray();

    private static readonly VmState[] AllVms = Sample.SelectMany(p => p switch
    {
        StatePdu s => s.Vms.AsEnumerable(),
        AdminVmPdu v => [v.Vm],
        _ => [],
    }).ToArray();

    [Fact]
    public void Every_PDU_type_is_generated()
    {
        Assert.Equal(Enum.GetValues<PduType>().Order(), Sample.Select(p => p.Type).Distinct().Order());
    }

    [Fact]
    public void Integers_reach_the_ends_of_their_ranges()
    {
        var ids = Sample.OfType<RequestPdu>().Select(r => r.RequestId).ToArray();
        Assert.Contains(ulong.MaxValue, ids);
        Assert.Contains(ids, v => v is > 1UL << 63 and < ulong.MaxValue);
        Assert.Contains(ids, v => v is > uint.MaxValue and < 1UL << 63);
        Assert.Contains(AllVms, v => v.Vcpus == ushort.MaxValue);
        Assert.Contains(AllVms, v => v.Vcpus is > 1000 and < ushort.MaxValue);
        Assert.Contains(Sample.OfType<StatePdu>(), s => s.Report > 1U << 31);
        Assert.Contains(Sample.OfType<StatePdu>(), s => s.Pages > 1000 && s.Page == s.Pages - 1);
        Assert.Contains(Sample.OfType<StatePdu>(), s => s.Pages == 0);
        Assert.Contains(Sample.OfType<ErrorPdu>(), e => (ushort)e.Code > 1000);
        Assert.Contains(AllAttrs, a => a.Def?.Kind == AttrKind.Mac && a.Number == 0xFFFF_FFFF_FFFF);
        Assert.Contains(AllAttrs, a => a.Def?.Kind == AttrKind.U32 && a.Number == uint.MaxValue);
        Assert.Contains(AllAttrs, a => a.Def?.Kind == AttrKind.U64 && a.Number > 1UL << 63);
    }

    [Fact]
    public void Enumerations_go_beyond_their_named_values()
    {
        Assert.Contains(Sample.OfType<RequestPdu>(), r => (byte)r.Code > 18);
        Assert.Contains(Sample.OfType<AckPdu>(), a => (byte)a.Code > 7);
        Assert.Contains(AllVms, v => (byte)v.Power > 7);
        Assert.Contains(AllVms, v => v.Reason > 15);
        Assert.Contains(AllAttrs, a => a.Disk is { } d && (byte)d.Bus > 5);
        Assert.Contains(AllAttrs, a => a.Nic is { } n && (byte)n.Model > 4 && (byte)n.Kind > 4);
        Assert.Contains(Sample.OfType<AdminQueryPdu>(), q => (byte)q.What > 6);
        Assert.Contains(Sample.OfType<AdminHostPdu>(), h => (byte)h.State > 4);
    }

    [Fact]
    public void Every_registered_attribute_and_unknown_ones_are_generated_with_repeats_and_critical_bits()
    {
        var seen = AllAttrs.Select(a => a.Type).ToHashSet();
        foreach (var def in AttrRegistry.All) Assert.Contains(def.Type, seen);
        Assert.Contains(AllAttrs, a => a.Def is null && a.Opaque!.Bytes.Length > 100);
        Assert.Contains(AllAttrs, a => a.Def is not null && a.Critical);
        Assert.DoesNotContain(AllAttrs, a => a.Def is null && a.Critical);
        Assert.Contains(AllAttrs, a => a.Nested is { Count: >= 3 });
        Assert.Contains(Sample.SelectMany(Lists), l => l.GroupBy(a => a.Type).Any(g => g.Count() > 1 && g.First().Def?.Repeatable == true));
        Assert.Contains(AllVms, v => v.Flags.HasFlag(VmFlags.Tombstone));
        Assert.Contains(AllVms, v => v.Flags.HasFlag(VmFlags.Truncated));
    }

    [Fact]
    public void Text_reaches_its_limits_and_holds_non_ASCII()
    {
        foreach (var def in AttrRegistry.All.Where(d => d.Kind is AttrKind.Text or AttrKind.Name))
            Assert.Contains(AllAttrs, a => a.Type == def.Type && Encoding.UTF8.GetByteCount(a.Text!) == def.MaxLength);
        Assert.Contains(AllVms, v => Encoding.UTF8.GetByteCount(v.Name) == 255);
        Assert.Contains(AllVms, v => v.Name.Length == 0);
        Assert.Contains(AllVms, v => v.Name.Contains('\u00e9') || v.Name.Any(c => c is >= '\u00a0' and <= '\u00ff'));
        Assert.Contains(AllVms, v => v.Name.Any(c => c is >= '\u4e00' and <= '\u9fff'));
        Assert.Contains(AllVms, v => v.Name.Any(char.IsSurrogate));
        Assert.Contains(AllVms, v => v.Name.Contains('"') && v.Name.Contains('\\'));
        Assert.Contains(Sample.OfType<StatePdu>(), s => s.Host.Length == 64);
        Assert.Contains(AllAttrs, a => a.Def?.Kind == AttrKind.Text && a.Text!.Length == 0);
    }

    [Fact]
    public void Sizes_reach_far_but_stay_within_the_stream_limit()
    {
        var sizes = Sample.Select(p => PduCodec.ToBytes(p).Length).ToArray();
        Assert.All(sizes, n => Assert.InRange(n, PduHeader.MinPduSize, PduHeader.MaxStreamPdu));
        Assert.Contains(sizes, n => n > 40_000);
        Assert.Contains(sizes, n => n < 100);
    }
}
