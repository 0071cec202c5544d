// FsCheck generators for every wire value, written out explicitly: FsCheck's own integers are bounded by the
// test size (100 by default), which would never reach a request id of 2^64-1 or a 1024-byte message.
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Vmm.Protocol.Internal;
using Vmm.Protocol.Pdus;

namespace Vmm.Protocol.Tests.Generators;

/// <summary>Generators over the whole wire ranges of spec/PROTOCOL.md, valid by construction.</summary>
public static class Gens
{
    // ---- Integers: uniform over the full range, with the edges (0, 1, max) drawn often. ----

    /// <summary>A seed for bulk random data (opaque bytes, text): deterministic under FsCheck's replay seed.</summary>
    public static readonly Gen<int> Seed = Gen.Choose(int.MinValue, int.MaxValue);

    public static readonly Gen<byte> U8 = Gen.Choose(0, 255).Select(i => (byte)i);

    private static readonly Gen<int> Half = Gen.Choose(0, 0xFFFF);

    public static readonly Gen<ushort> U16 = Gen.Frequency(
        (1, Gen.Elements<ushort>(0, 1, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF)),
        (1, Gen.Choose(0, 300).Select(i => (ushort)i)),
        (4, Half.Select(i => (ushort)i)));

    public static readonly Gen<uint> U32 = Gen.Frequency(
        (1, Gen.Elements<uint>(0, 1, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)),
        (1, Gen.Choose(0, 1000).Select(i => (uint)i)),
        (4, from hi in Half from lo in Half select ((uint)hi << 16) | (uint)lo));

    public static readonly Gen<ulong> U64 = Gen.Frequency(
        (2, Gen.Elements<ulong>(0, 1, 0xFFFFFFFF, 0x100000000, long.MaxValue, 0x8000000000000000, ulong.MaxValue - 1, ulong.MaxValue)),
        (1, Gen.Choose(0, 100000).Select(i => (ulong)i)),
        (4, from hi in U32Uniform from lo in U32Uniform select ((ulong)hi << 32) | lo));

    private static Gen<uint> U32Uniform => from hi in Half from lo in Half select ((uint)hi << 16) | (uint)lo;

    public static readonly Gen<ulong> NonZeroU64 = U64.Where(v => v != 0);

    /// <summary>A MAC address: any 48-bit value.</summary>
    public static readonly Gen<ulong> Mac = U64.Select(v => v & 0xFFFF_FFFF_FFFF);

    public static readonly Gen<UInt128> U128 = from hi in U64 from lo in U64 select new UInt128(hi, lo);

    public static readonly Gen<Guid> Uuid = Gen.Frequency(
        (1, Gen.Constant(Guid.Empty)),
        (1, Gen.Constant(Guid.AllBitsSet)),
        (8, Seed.Select(s =>
        {
            var b = new byte[16];
            new Random(s).NextBytes(b);
            return new Guid(b, bigEndian: true);
        })));

    /// <summary>Any value of a raw byte-coded enumeration: named values half the time, any byte otherwise.</summary>
    public static Gen<T> RawByte<T>(int named) where T : struct, Enum =>
        Gen.Frequency((1, Gen.Choose(0, named - 1)), (1, Gen.Choose(0, 255))).Select(i => (T)(object)(byte)i);

    /// <summary>Flags with only the defined bits (<paramref name="mask"/>) set.</summary>
    public static Gen<T> Flags<T>(byte mask) where T : struct, Enum =>
        Gen.Choose(0, 255).Select(i => (T)(object)(byte)(i & mask));

    // ---- Names and text. ----

    private const string NameFirst = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const string NameRest = NameFirst + "._-";

    /// <summary>A length in [min, max], with both ends drawn often.</summary>
    public static Gen<int> Length(int min, int max) => Gen.Frequency(
        (1, Gen.Constant(min)),
        (1, Gen.Constant(max)),
        (4, Gen.Choose(min, Math.Min(max, min + 16))),
        (3, Gen.Choose(min, max)));

    /// <summary>A name (spec §3.3): 1..max bytes of [A-Za-z0-9._-] beginning with a letter or digit.</summary>
    public static Gen<string> Name(int max = Validation.MaxNameLength) =>
        from len in Length(1, max)
        from seed in Seed
        select MakeName(seed, len);

    private static string MakeName(int seed, int len)
    {
        var r = new Random(seed);
        var c = new char[len];
        c[0] = NameFirst[r.Next(NameFirst.Length)];
        for (int i = 1; i < len; i++) c[i] = NameRest[r.Next(NameRest.Length)];
        return new string(c);
    }

    /// <summary>
    /// UTF-8 text without control characters of exactly some length in [minBytes, maxBytes] bytes: ASCII (quotes,
    /// backslashes and braces included), Latin-1 ('é'), CJK ('日'), the rest of the BMP and supplementary planes (emoji).
    /// </summary>
    public static Gen<string> Text(int minBytes, int maxBytes) =>
        from len in Length(minBytes, maxBytes)
        from seed in Seed
        select MakeText(seed, len);

    internal static string MakeText(int seed, int bytes)
    {
        var r = new Random(seed);
        var sb = new StringBuilder();
        int left = bytes;
        while (left > 0)
        {
            var rune = r.Next(10) switch
            {
                < 4 => new Rune(r.Next(0x20, 0x7F)),
                4 => new Rune("\"\\{}= !'".AsSpan()[r.Next(8)]),
                5 => new Rune(r.Next(0xA0, 0x100)),
                6 => new Rune(r.Next(0x4E00, 0xA000)),
                7 => new Rune(r.Next(2) == 0 ? r.Next(0x100, 0xD800) : r.Next(0xE000, 0x10000)),
                8 => new Rune(0x1F600 + r.Next(0x50)),
                _ => new Rune(r.Next(0x10000, 0x110000)),
            };
            if (rune.Utf8SequenceLength > left) rune = new Rune(r.Next(0x20, 0x7F));
            sb.Append(rune.ToString());
            left -= rune.Utf8SequenceLength;
        }
        return sb.ToString();
    }

    public static Gen<byte[]> Bytes(int max) =>
        from len in Gen.Frequency((6, Gen.Choose(0, Math.Min(max, 32))), (3, Gen.Choose(0, max)), (1, Gen.Constant(max)))
        from seed in Seed
        select RandomBytes(seed, len);

    internal static byte[] RandomBytes(int seed, int len)
    {
        var b = new byte[len];
        new Random(seed).NextBytes(b);
        return b;
    }

    // ---- Attributes (spec §5). ----

    /// <summary>Types in 0x00-0x7F that the registry does not know.</summary>
    public static readonly byte[] UnknownTypes = Enumerable.Range(0, 128).Where(t => AttrRegistry.Find((byte)t) is null).Select(t => (byte)t).ToArray();

    private static readonly AttrDef[] Known = AttrRegistry.All.ToArray();
    private static readonly AttrDef[] KnownFlat = Known.Where(d => d.Kind != AttrKind.Nested).ToArray();

    public static Gen<DiskInfo> Disk =>
        from target in Name(32)
        from bus in RawByte<DiskBus>(6)
        from flags in Flags<DiskFlags>(0x07)
        from capacity in U64
        select new DiskInfo(target, bus, flags, capacity);

    public static Gen<NicInfo> Nic =>
        from mac in Mac
        from model in RawByte<NicModel>(5)
        from kind in RawByte<NicKind>(5)
        from source in Gen.Frequency((1, Gen.Constant("")), (4, Text(1, 255)))
        select new NicInfo(mac, model, kind, source);

    /// <summary>A value of a registered attribute; nested lists hold no nested list (spec §5.1 depth limit).</summary>
    public static Gen<Attr> Known1(AttrDef def) =>
        from critical in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        from a in def.Kind switch
        {
            AttrKind.U8 => U8.Select(v => new Attr { Type = def.Type, Number = v }),
            AttrKind.U16 => U16.Select(v => new Attr { Type = def.Type, Number = v }),
            AttrKind.U32 => U32.Select(v => new Attr { Type = def.Type, Number = v }),
            AttrKind.U64 => U64.Select(v => new Attr { Type = def.Type, Number = v }),
            AttrKind.Mac => Mac.Select(v => new Attr { Type = def.Type, Number = v }),
            AttrKind.Text => Text(0, def.MaxLength).Select(v => new Attr { Type = def.Type, Text = v }),
            AttrKind.Name => Name(def.MaxLength).Select(v => new Attr { Type = def.Type, Text = v }),
            AttrKind.Nested => List(maxCount: 6, budget: def.MaxLength, nested: false).Select(v => new Attr { Type = def.Type, Nested = v }),
            AttrKind.DiskState => Disk.Select(v => new Attr { Type = def.Type, Disk = v }),
            AttrKind.NicState => Nic.Select(v => new Attr { Type = def.Type, Nic = v }),
            AttrKind.Bytes => Bytes(def.MaxLength).Where(v => v.Length > 0).Select(v => new Attr { Type = def.Type, Opaque = new Blob(v) }),
            _ => throw new InvalidOperationException($"no generator for {def.Kind}"),
        }
        select a with { Critical = critical };

    /// <summary>An attribute this codec does not know, without the critical bit, carrying random bytes.</summary>
    public static Gen<Attr> Unknown =>
        from type in Gen.Elements(UnknownTypes)
        from value in Gen.Frequency((19, Bytes(300)), (1, Bytes(50000)))
        select new Attr { Type = (AttrType)type, Opaque = new Blob(value) };

    /// <summary>
    /// An attribute list built with <see cref="AttrList.Add(Attr)"/>: distinct non-repeatable types, repeatable ones
    /// (and unknown ones) 1-3 times, at most <paramref name="budget"/> encoded bytes.
    /// </summary>
    public static Gen<AttrList> List(int maxCount, int budget, bool nested = true)
    {
        var defs = nested ? Known : KnownFlat;
        var slot = Gen.Frequency(
            (6, Gen.Elements(defs).SelectMany(d => Gen.Choose(1, d.Repeatable ? 3 : 1).SelectMany(n => Gen.ArrayOf(Known1(d), n)))),
            (1, Gen.Choose(1, 3).SelectMany(n => Gen.ArrayOf(Unknown, n))));
        return
            from count in Gen.Frequency((2, Gen.Constant(0)), (6, Gen.Choose(1, Math.Min(4, maxCount))), (2, Gen.Choose(0, maxCount)))
            from slots in Gen.ArrayOf(slot, count)
            select Build(slots, budget);
    }

    private static AttrList Build(Attr[][] slots, int budget)
    {
        var list = new AttrList();
        var seen = new HashSet<AttrType>();
        foreach (var group in slots)
        {
            var def = group[0].Def;
            if (def is not null && !def.Repeatable && !seen.Add(def.Type)) continue;
            foreach (var a in group)
            {
                if (Size(list) + Size(a) > budget) return list;
                list.Add(a);
            }
        }
        return list;
    }

    [ThreadStatic] private static byte[]? s_scratch;

    /// <summary>Encoded size of one attribute, header included.</summary>
    public static int Size(Attr a)
    {
        var buf = s_scratch ??= new byte[70000];
        var w = new WireWriter(buf, buf.Length);
        AttrCodec.Write(ref w, a);
        return w.Position;
    }

    public static int Size(AttrList list) => list.Sum(Size);

    // ---- VM records (spec §6.2). ----

    public static Gen<VmState> Tombstone =>
        from uuid in Uuid
        from name in Text(0, 255)
        select VmState.TombstoneFor(uuid, name);

    public static Gen<VmState> LiveVm(int attrBudget) =>
        from uuid in Uuid
        from power in RawByte<PowerState>(8)
        from reason in Gen.Frequency((2, Gen.Choose(0, 15)), (1, Gen.Choose(0, 255))).Select(i => (byte)i)
        from flags in Flags<VmFlags>(0x1E)
        from vcpus in U16
        from memory in U64
        from name in Text(0, 255)
        from attrs in List(maxCount: 8, budget: attrBudget)
        select new VmState { Uuid = uuid, Power = power, Reason = reason, Flags = flags, Vcpus = vcpus, MemoryKib = memory, Name = name, Attributes = attrs };

    public static Gen<VmState> Vm(int attrBudget = 6000) => Gen.Frequency((1, Tombstone), (4, LiveVm(attrBudget)));

    // ---- PDUs (spec §6, §7). ----

    /// <summary>Key id and tag as a decoded unsigned PDU carries them: usually zero, sometimes anything.</summary>
    private static Gen<(byte KeyId, UInt128 Tag)> Trailer => Gen.Frequency(
        (3, Gen.Constant(((byte)0, UInt128.Zero))),
        (1, from k in U8 from t in U128 select (k, t)));

    private static Gen<T> WithTrailer<T>(Gen<T> g) where T : Pdu =>
        from p in g from t in Trailer select p with { KeyId = t.KeyId, Tag = t.Tag };

    public static Gen<StatePdu> State => WithTrailer(
        from boot in NonZeroU64
        from seq in NonZeroU64
        from paging in Gen.Frequency(
            (1, Gen.Constant((Report: 0u, Page: (ushort)0, Pages: (ushort)0))),
            (2, from pages in U16.Where(p => p != 0)
                from page in Gen.Frequency((1, Gen.Constant(pages - 1)), (2, Gen.Choose(0, pages - 1)))
                from report in U32
                select (Report: report, Page: (ushort)page, Pages: pages)))
        from status in Flags<HostStatus>(0x0F)
        from host in Name()
        from facts in List(maxCount: 12, budget: 8000)
        from vms in Gen.Frequency(
            (6, Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(Vm(), n))),
            (2, Gen.Choose(5, 8).SelectMany(n => Gen.ArrayOf(Vm(), n))),
            (1, Gen.Choose(20, 120).SelectMany(n => Gen.ArrayOf(Vm(attrBudget: 200), n))))
        select new StatePdu
        {
            BootId = boot, Sequence = seq, Report = paging.Report, Page = paging.Page, Pages = paging.Pages,
            Status = status, Host = host, Facts = facts, Vms = FitVms(vms, Size(facts)),
        });

    /// <summary>Drops trailing records until the PDU fits the 65536-byte stream limit.</summary>
    private static ValueList<VmState> FitVms(VmState[] vms, int factsSize)
    {
        int size = PduHeader.MinPduSize + 8 + 8 + 4 + 2 + 2 + 1 + 1 + 64 + 2 + factsSize;
        var kept = new ValueList<VmState>();
        foreach (var vm in vms)
        {
            int n = 2 + VmRecordView.FixedSize + Encoding.UTF8.GetByteCount(vm.Name) + Size(vm.Attributes);
            if (size + n > PduHeader.MaxStreamPdu) break;
            size += n;
            kept.Add(vm);
        }
        return kept;
    }

    /// <summary>A USAGE (spec §16): counters as a hostd sends them, or any attributes a later version might add.</summary>
    public static Gen<UsagePdu> Usage => WithTrailer(
        from boot in NonZeroU64
        from sampled in U64
        from pages in U16.Where(p => p != 0)
        from page in Gen.Frequency((1, Gen.Constant(pages - 1)), (2, Gen.Choose(0, pages - 1)))
        from interval in U32
        from host in Name()
        from vms in Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(UsageRecord, n))
        select new UsagePdu { BootId = boot, SampledMs = sampled, Page = (ushort)page, Pages = pages, IntervalMs = interval, Host = host, Vms = [.. vms] });

    private static Gen<VmUsage> UsageRecord =>
        from uuid in Uuid
        from attrs in Gen.Frequency(
            (2, from values in Gen.ArrayOf(U64, UsageCounters.Count)
                from present in Gen.Choose(0, (1 << UsageCounters.Count) - 1)
                select Counters(values, present)),
            (1, List(maxCount: 6, budget: 400)))
        select new VmUsage { Uuid = uuid, Attributes = attrs };

    private static AttrList Counters(ulong[] values, int present)
    {
        var c = new UsageCounters();
        for (int i = 0; i < UsageCounters.Count; i++)
            if ((present & (1 << i)) != 0) c.Set((AttrType)((int)UsageCounters.First + i), values[i]);
        return c.ToAttributes();
    }

    public static Gen<RequestPdu> Request => WithTrailer(
        from id in NonZeroU64
        from boot in U64
        from code in RawByte<RequestCode>(19)
        from flags in Flags<RequestFlags>(0x01)
        from uuid in Uuid
        from ps in List(maxCount: 12, budget: 60000)
        select new RequestPdu { RequestId = id, BootId = boot, Code = code, Flags = flags, Vm = uuid, Parameters = ps });

    public static Gen<AckPdu> Ack => WithTrailer(
        from id in U64
        from boot in U64
        from code in RawByte<AckCode>(8)
        from flags in Flags<AckFlags>(0x03)
        from uuid in Uuid
        from rs in List(maxCount: 12, budget: 60000)
        select new AckPdu { RequestId = id, BootId = boot, Code = code, Flags = flags, Vm = uuid, Results = rs });

    public static Gen<ErrorPdu> Error => WithTrailer(
        from code in Gen.Frequency((2, Gen.Choose(0, 15)), (1, Half)).Select(i => (ProtocolErrorCode)(ushort)i)
        from attrs in List(maxCount: 8, budget: 60000)
        select new ErrorPdu { Code = code, Attributes = attrs });

    public static Gen<AdminQueryPdu> Query => WithTrailer(
        from what in RawByte<QueryKind>(7)
        from fs in List(maxCount: 8, budget: 60000)
        select new AdminQueryPdu { What = what, Filters = fs });

    public static Gen<AdminSubmitPdu> Submit => WithTrailer(
        from code in RawByte<RequestCode>(19)
        from flags in Flags<RequestFlags>(0x01)
        from ps in List(maxCount: 12, budget: 60000)
        select new AdminSubmitPdu { Code = code, Flags = flags, Parameters = ps });

    public static Gen<AdminHostPdu> Host => WithTrailer(
        from boot in U64
        from seq in U64
        from state in RawByte<HostState>(5)
        from name in Name()
        from attrs in List(maxCount: 12, budget: 60000)
        select new AdminHostPdu { BootId = boot, Sequence = seq, State = state, Name = name, Attributes = attrs });

    public static Gen<AdminVmPdu> AdminVm => WithTrailer(
        from host in Name()
        from vm in Vm()
        from attrs in List(maxCount: 8, budget: 60000)
        select new AdminVmPdu { Host = host, Vm = vm, Attributes = attrs });

    public static Gen<AdminResultPdu> Result => WithTrailer(
        from code in RawByte<AckCode>(8)
        from id in U64
        from uuid in Uuid
        from attrs in List(maxCount: 8, budget: 60000)
        select new AdminResultPdu { Code = code, RequestId = id, Vm = uuid, Attributes = attrs });

    public static Gen<AdminEventPdu> Event => WithTrailer(
        from id in U64
        from time in U64
        from kind in RawByte<EventKind>(6)
        from uuid in Uuid
        from attrs in List(maxCount: 8, budget: 60000)
        select new AdminEventPdu { Id = id, TimeMs = time, Kind = kind, Vm = uuid, Attributes = attrs });

    /// <summary>Any PDU, each type equally likely.</summary>
    public static Gen<Pdu> AnyPdu => Gen.OneOf(
        State.Select(p => (Pdu)p), Request.Select(p => (Pdu)p), Ack.Select(p => (Pdu)p), Error.Select(p => (Pdu)p),
        Query.Select(p => (Pdu)p), Submit.Select(p => (Pdu)p), Host.Select(p => (Pdu)p), AdminVm.Select(p => (Pdu)p),
        Result.Select(p => (Pdu)p), Event.Select(p => (Pdu)p), Usage.Select(p => (Pdu)p));

    /// <summary>A cluster key from random bytes.</summary>
    public static Gen<ClusterKey> Key => Seed.Select(s => new ClusterKey(RandomBytes(s, ClusterKey.Length)));
}
