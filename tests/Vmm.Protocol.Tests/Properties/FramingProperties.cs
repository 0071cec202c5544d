// Framing laws (spec §3.2-§3.5): truncation is "need more" on a stream and Truncated in a datagram; any
// single-bit change to a signed PDU is caught; garbage only ever raises ProtocolException.
using FsCheck.Xunit;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Tests.Generators;
using Vmm.Protocol.Tests.Support;
using Xunit.Sdk;

namespace Vmm.Protocol.Tests.Properties;

[Properties(Arbitrary = [typeof(Arbs)], MaxTest = 200)]
public sealed class FramingProperties
{
    /// <summary>Every prefix length of a small PDU, and for a large one the first 64 and 128 chosen at random.</summary>
    private static IEnumerable<int> PrefixLengths(int length, Seed seed)
    {
        if (length <= 600) return Enumerable.Range(0, length);
        var r = new Random(seed.Value);
        return Enumerable.Range(0, 64).Concat(Enumerable.Range(0, 128).Select(_ => r.Next(64, length))).Append(length - 1);
    }

    [Property]
    public void Every_proper_prefix_needs_more_bytes_on_a_stream(Pdu x, Seed seed)
    {
        var b = Wire.Encode(x);
        foreach (int n in PrefixLengths(b.Length, seed))
        {
            var prefix = b.AsSpan(0, n);
            if (PduCodec.TryDecode(prefix, out _, out _)) throw new XunitException($"TryDecode accepted a prefix of {n} of {b.Length} bytes");
            if (PduFraming.TryReadFrame(prefix, out _, out _)) throw new XunitException($"TryReadFrame accepted a prefix of {n} of {b.Length} bytes");
        }
    }

    [Property]
    public void Every_proper_prefix_is_Truncated_as_a_datagram(Pdu x, Seed seed)
    {
        var b = Wire.Encode(x);
        foreach (int n in PrefixLengths(b.Length, seed))
        {
            var prefix = b[..n];
            Wire.Throws(ProtocolErrorCode.Truncated, () => PduCodec.Decode(prefix));
            Wire.Throws(ProtocolErrorCode.Truncated, () => PduFraming.ReadDatagram(prefix, PduHeader.MaxStreamPdu));
        }
    }

    [Property(MaxTest = 100)]
    public void Any_single_bit_flip_in_a_signed_PDU_fails_authentication_or_framing(Pdu x, ClusterKey key, Seed seed)
    {
        var b = Wire.Encode(x, key);
        var r = new Random(seed.Value);
        // Every bit of a PDU of up to 128 bytes; for a larger one every bit of the header and the tag and 256
        // bits of the body chosen at random.
        var bits = b.Length <= 128
            ? Enumerable.Range(0, b.Length * 8)
            : Enumerable.Range(0, PduHeader.Size * 8)
                .Concat(Enumerable.Range((b.Length - PduHeader.TagSize) * 8, PduHeader.TagSize * 8))
                .Concat(Enumerable.Range(0, 256).Select(_ => r.Next(PduHeader.Size * 8, (b.Length - PduHeader.TagSize) * 8)));
        foreach (int bit in bits)
        {
            var m = (byte[])b.Clone();
            m[bit / 8] ^= (byte)(1 << (bit % 8));

            // As a datagram: ReadDatagram then Authenticate.
            if (Wire.OnlyProtocolException(() => PduCodec.Decode(m, key)) is null)
                throw new XunitException($"flipping bit {bit} of {b.Length * 8} was not detected (datagram)");

            // On a stream: the frame, if complete, must not authenticate.
            bool framed;
            int consumed = 0;
            try { framed = PduFraming.TryReadFrame(m, out _, out consumed); }
            catch (ProtocolException) { continue; }
            if (!framed) continue;
            if (Wire.OnlyProtocolException(() => key.Authenticate(m.AsSpan(0, consumed))) is null)
                throw new XunitException($"flipping bit {bit} of {b.Length * 8} was not detected (stream)");
        }
    }

    [Property(MaxTest = 1000)]
    public void Arbitrary_bytes_raise_only_ProtocolException(Junk junk, ClusterKey key)
    {
        var b = junk.Bytes;
        Wire.OnlyProtocolException(() => PduCodec.TryDecode(b, out _, out _));
        Wire.OnlyProtocolException(() => PduFraming.TryReadFrame(b, out _, out _));
        Wire.OnlyProtocolException(() => PduCodec.Decode(b));
        Wire.OnlyProtocolException(() => PduCodec.Decode(b, PduHeader.MaxDatagram));
        Wire.OnlyProtocolException(() => PduCodec.Decode(b, key));
    }

    [Property(MaxTest = 2000)]
    public void Arbitrary_bodies_behind_a_sound_header_raise_only_ProtocolException(HeaderedJunk junk, ClusterKey key)
    {
        var b = junk.Bytes;
        Wire.OnlyProtocolException(() => PduCodec.TryDecode(b, out _, out _));
        Wire.OnlyProtocolException(() => PduCodec.Decode(b));
        Wire.OnlyProtocolException(() => PduCodec.Decode(b, PduHeader.MaxDatagram));
        Wire.OnlyProtocolException(() => PduCodec.Decode(b, key));
        if (b.Length >= PduHeader.MinPduSize) Wire.OnlyProtocolException(() => key.Authenticate(b));
    }

    [Property(MaxTest = 2000)]
    public void Views_over_arbitrary_bodies_raise_only_ProtocolException(Junk junk)
    {
        var b = junk.Bytes;
        Wire.OnlyProtocolException(() => Walk.State(StateView.Parse(b)));
        Wire.OnlyProtocolException(() => Walk.Attrs(RequestView.Parse(b).Parameters));
        Wire.OnlyProtocolException(() => Walk.Attrs(AckView.Parse(b).Results));
        Wire.OnlyProtocolException(() => RequestView.PeekRequestId(b));
    }

    /// <summary>Structure-aware garbage: a valid PDU with a few bytes of its body replaced.</summary>
    [Property(MaxTest = 2000)]
    public void Mutated_PDUs_raise_only_ProtocolException_on_every_decoding_path(Pdu x, Seed seed)
    {
        var b = Wire.Encode(x);
        var r = new Random(seed.Value);
        int mutations = 1 + r.Next(6);
        for (int i = 0; i < mutations; i++)
        {
            int at = PduHeader.Size + r.Next(b.Length - PduHeader.Size);
            b[at] = r.Next(3) switch { 0 => 0, 1 => 0xFF, _ => (byte)r.Next(256) };
        }
        Wire.OnlyProtocolException(() => PduCodec.TryDecode(b, out _, out _));
        Wire.OnlyProtocolException(() => PduCodec.Decode(b));
        var body = b.AsSpan(PduHeader.Size, b.Length - PduHeader.MinPduSize).ToArray();
        switch (x.Type)
        {
            case PduType.State: Wire.OnlyProtocolException(() => Walk.State(StateView.Parse(body))); break;
            case PduType.Request: Wire.OnlyProtocolException(() => Walk.Attrs(RequestView.Parse(body).Parameters)); break;
            case PduType.Ack: Wire.OnlyProtocolException(() => Walk.Attrs(AckView.Parse(body).Results)); break;
        }
    }
}

/// <summary>Walks a parsed view to its last byte, as a daemon's hot path would.</summary>
internal static class Walk
{
    public static void State(StateView v)
    {
        _ = v.BootId + v.Sequence + v.Report + v.Page + v.Pages + (ulong)v.Status + (ulong)v.HostUtf8.Length;
        Attrs(v.Facts);
        foreach (var r in v.Vms)
        {
            _ = r.Uuid;
            _ = (int)r.Power + r.Reason + (int)r.Flags + r.Vcpus + (long)r.MemoryKib + r.NameUtf8.Length + r.Bytes.Length;
            Attrs(r.Attributes);
        }
        _ = StatePdu.From(v);
    }

    public static void Attrs(AttrReader r)
    {
        while (r.MoveNext())
        {
            _ = r.Number;
            if (AttrRegistry.Find(r.TypeByte)?.Kind == AttrKind.Nested) Attrs(r.NestedReader);
        }
    }
}
