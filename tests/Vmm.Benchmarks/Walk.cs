// What a daemon does with a received PDU on the zero-allocation path: check the header (and the tag when
// keyed), parse the view, then read every field of every VM record and every attribute. Each value is folded
// into a checksum so that the JIT cannot drop a read, and so that Fixtures.Check can compare the walk with
// the same fold over the model (Model below): the views must read exactly the values that were encoded.
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Benchmarks;

internal static class Walk
{
    private const ulong Seed = 0xCBF2_9CE4_8422_2325;

    /// <summary>A STATE datagram: header, optional tag check, then the view and every record.</summary>
    public static ulong State(ReadOnlySpan<byte> pdu, ClusterKey? key = null)
    {
        var h = PduFraming.ReadDatagram(pdu, PduHeader.MaxDatagram);
        key?.Authenticate(pdu);
        var v = StateView.Parse(PduCodec.Body(pdu));
        ulong acc = Mix(Seed, (ulong)h.Length);
        acc = Mix(acc, v.BootId);
        acc = Mix(acc, v.Sequence);
        acc = Mix(acc, v.Report);
        acc = Mix(acc, v.Page);
        acc = Mix(acc, v.Pages);
        acc = Mix(acc, (ulong)v.Status);
        acc = Text(acc, v.HostUtf8);
        acc = Attrs(acc, v.Facts);
        foreach (var r in v.Vms)
        {
            acc = Mix(acc, (uint)r.Uuid.GetHashCode());
            acc = Mix(acc, (ulong)r.Power);
            acc = Mix(acc, r.Reason);
            acc = Mix(acc, (ulong)r.Flags);
            acc = Mix(acc, r.Vcpus);
            acc = Mix(acc, r.MemoryKib);
            acc = Text(acc, r.NameUtf8);
            acc = Attrs(acc, r.Attributes);
        }
        return acc;
    }

    /// <summary>A REQUEST from a stream buffer holding exactly it.</summary>
    public static ulong Request(ReadOnlySpan<byte> pdu, ClusterKey? key = null)
    {
        var h = PduFraming.ReadDatagram(pdu, PduHeader.MaxStreamPdu);
        key?.Authenticate(pdu);
        var v = RequestView.Parse(PduCodec.Body(pdu));
        ulong acc = Mix(Seed, (ulong)h.Length);
        acc = Mix(acc, v.RequestId);
        acc = Mix(acc, v.BootId);
        acc = Mix(acc, (ulong)v.Code);
        acc = Mix(acc, (ulong)v.Flags);
        acc = Mix(acc, (uint)v.Vm.GetHashCode());
        return Attrs(acc, v.Parameters);
    }

    /// <summary>An ACK from a stream buffer holding exactly it.</summary>
    public static ulong Ack(ReadOnlySpan<byte> pdu, ClusterKey? key = null)
    {
        var h = PduFraming.ReadDatagram(pdu, PduHeader.MaxStreamPdu);
        key?.Authenticate(pdu);
        var v = AckView.Parse(PduCodec.Body(pdu));
        ulong acc = Mix(Seed, (ulong)h.Length);
        acc = Mix(acc, v.RequestId);
        acc = Mix(acc, v.BootId);
        acc = Mix(acc, (ulong)v.Code);
        acc = Mix(acc, (ulong)v.Flags);
        acc = Mix(acc, (uint)v.Vm.GetHashCode());
        return Attrs(acc, v.Results);
    }

    private static ulong Attrs(ulong acc, AttrReader r)
    {
        while (r.MoveNext())
        {
            acc = Mix(acc, r.TypeByte);
            var v = r.Value;
            switch (AttrRegistry.Find(r.TypeByte)?.Kind)
            {
                case null:
                    acc = Mix(acc, (ulong)v.Length);
                    break;
                case AttrKind.Text or AttrKind.Name:
                    acc = Text(acc, v);
                    break;
                case AttrKind.Nested:
                    acc = Attrs(acc, r.NestedReader);
                    break;
                case AttrKind.DiskState:
                    // DiskState { capacity (64), bus (8), flags (8), target (rest) }: the codec has no view for it.
                    acc = Mix(acc, BinaryPrimitives.ReadUInt64BigEndian(v));
                    acc = Mix(acc, v[8]);
                    acc = Mix(acc, v[9]);
                    acc = Text(acc, v[10..]);
                    break;
                case AttrKind.NicState:
                    // NicState { mac (48), model (8), kind (8), source (rest) }
                    acc = Mix(acc, ((ulong)BinaryPrimitives.ReadUInt16BigEndian(v) << 32) | BinaryPrimitives.ReadUInt32BigEndian(v[2..]));
                    acc = Mix(acc, v[6]);
                    acc = Mix(acc, v[7]);
                    acc = Text(acc, v[8..]);
                    break;
                default:
                    acc = Mix(acc, r.Number);
                    break;
            }
        }
        return acc;
    }

    /// <summary>Text stays UTF-8 on this path: a daemon compares or copies the bytes, it does not make strings.</summary>
    private static ulong Text(ulong acc, ReadOnlySpan<byte> utf8)
    {
        acc = Mix(acc, (ulong)utf8.Length);
        return utf8.IsEmpty ? acc : Mix(acc, utf8[^1]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong acc, ulong v) => (acc ^ v) * 0x0000_0100_0000_01B3;

    // The same fold over a model, for Fixtures.Check only.

    public static ulong Model(StatePdu s, int length)
    {
        ulong acc = Mix(Seed, (ulong)length);
        acc = Mix(acc, s.BootId);
        acc = Mix(acc, s.Sequence);
        acc = Mix(acc, s.Report);
        acc = Mix(acc, s.Page);
        acc = Mix(acc, s.Pages);
        acc = Mix(acc, (ulong)s.Status);
        acc = Text(acc, s.Host);
        acc = Attrs(acc, s.Facts);
        foreach (var r in s.Vms)
        {
            acc = Mix(acc, (uint)r.Uuid.GetHashCode());
            acc = Mix(acc, (ulong)r.Power);
            acc = Mix(acc, r.Reason);
            acc = Mix(acc, (ulong)r.Flags);
            acc = Mix(acc, r.Vcpus);
            acc = Mix(acc, r.MemoryKib);
            acc = Text(acc, r.Name);
            acc = Attrs(acc, r.Attributes);
        }
        return acc;
    }

    public static ulong Model(RequestPdu r, int length) => Exchange(length, r.RequestId, r.BootId, (byte)r.Code, (byte)r.Flags, r.Vm, r.Parameters);

    public static ulong Model(AckPdu a, int length) => Exchange(length, a.RequestId, a.BootId, (byte)a.Code, (byte)a.Flags, a.Vm, a.Results);

    private static ulong Exchange(int length, ulong requestId, ulong bootId, byte code, byte flags, Guid vm, AttrList attrs)
    {
        ulong acc = Mix(Seed, (ulong)length);
        acc = Mix(acc, requestId);
        acc = Mix(acc, bootId);
        acc = Mix(acc, code);
        acc = Mix(acc, flags);
        acc = Mix(acc, (uint)vm.GetHashCode());
        return Attrs(acc, attrs);
    }

    private static ulong Attrs(ulong acc, AttrList list)
    {
        foreach (var a in list)
        {
            acc = Mix(acc, (byte)((byte)a.Type | (a.Critical ? AttrRegistry.CriticalBit : 0)));
            switch (a.Def?.Kind)
            {
                case null:
                    acc = Mix(acc, (ulong)(a.Opaque?.Bytes.Length ?? 0));
                    break;
                case AttrKind.Text or AttrKind.Name:
                    acc = Text(acc, a.Text ?? "");
                    break;
                case AttrKind.Nested:
                    acc = Attrs(acc, a.Nested ?? []);
                    break;
                case AttrKind.DiskState:
                    acc = Mix(acc, a.Disk!.Capacity);
                    acc = Mix(acc, (ulong)a.Disk.Bus);
                    acc = Mix(acc, (ulong)a.Disk.Flags);
                    acc = Text(acc, a.Disk.Target);
                    break;
                case AttrKind.NicState:
                    acc = Mix(acc, a.Nic!.Mac);
                    acc = Mix(acc, (ulong)a.Nic.Model);
                    acc = Mix(acc, (ulong)a.Nic.Kind);
                    acc = Text(acc, a.Nic.Source);
                    break;
                default:
                    acc = Mix(acc, a.Number);
                    break;
            }
        }
        return acc;
    }

    private static ulong Text(ulong acc, string s) => Text(acc, Encoding.UTF8.GetBytes(s));
}
