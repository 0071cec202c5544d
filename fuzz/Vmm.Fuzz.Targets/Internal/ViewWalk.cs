using System.Buffers.Binary;
using System.Text;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Fuzz.Targets.Internal;

/// <summary>
/// Checks the zero-allocation views against the model decoder: both accept or refuse a body alike, and a
/// checked view walks to its end without an error, giving the model's values.
/// </summary>
internal static class ViewWalk
{
    public static void Agrees(PduType type, ReadOnlySpan<byte> body, Pdu? model, ProtocolException? modelError)
    {
        switch (type)
        {
            case PduType.State:
                StateView state;
                try { state = StateView.Parse(body); }
                catch (ProtocolException e) { SameRefusal("StateView", e, modelError); return; }
                Accepted("StateView", modelError);
                StateAgrees(state, (StatePdu)model!);
                break;
            case PduType.Request:
                RequestView request;
                try { request = RequestView.Parse(body); }
                catch (ProtocolException e) { SameRefusal("RequestView", e, modelError); return; }
                Accepted("RequestView", modelError);
                var r = (RequestPdu)model!;
                Oracle.Check(request.RequestId == r.RequestId && request.BootId == r.BootId && request.Code == r.Code
                    && request.Flags == r.Flags && request.Vm == r.Vm, "RequestView and RequestPdu differ in a fixed field");
                Oracle.Check(RequestView.PeekRequestId(body) == r.RequestId, "PeekRequestId differs from the request id");
                try { Attrs(request.Parameters, r.Parameters, "request parameters"); }
                catch (ProtocolException e) { throw Walked("REQUEST", e); }
                break;
            case PduType.Ack:
                AckView ack;
                try { ack = AckView.Parse(body); }
                catch (ProtocolException e) { SameRefusal("AckView", e, modelError); return; }
                Accepted("AckView", modelError);
                var a = (AckPdu)model!;
                Oracle.Check(ack.RequestId == a.RequestId && ack.BootId == a.BootId && ack.Code == a.Code
                    && ack.Flags == a.Flags && ack.Vm == a.Vm, "AckView and AckPdu differ in a fixed field");
                try { Attrs(ack.Results, a.Results, "ack results"); }
                catch (ProtocolException e) { throw Walked("ACK", e); }
                break;
        }
    }

    private static void SameRefusal(string view, ProtocolException e, ProtocolException? modelError)
    {
        Oracle.SoundError(e);
        Oracle.Check(modelError is not null, $"{view} refused a body the model decoder accepted: {e.Code.Name()}: {e.Message}");
        Oracle.Check(modelError.Code == e.Code, $"{view} refused with {e.Code.Name()} ({e.Message}), the model decoder with {modelError.Code.Name()} ({modelError.Message})");
    }

    private static void Accepted(string view, ProtocolException? modelError) =>
        Oracle.Check(modelError is null, $"{view} accepted a body the model decoder refused: {modelError?.Code.Name()}: {modelError?.Message}");

    private static FuzzInvariantException Walked(string what, ProtocolException e) =>
        new($"walking a checked {what} view threw {e.Code.Name()}: {e.Message}", e);

    private static void StateAgrees(StateView v, StatePdu s)
    {
        Oracle.Check(v.BootId == s.BootId && v.Sequence == s.Sequence && v.Report == s.Report && v.Page == s.Page
            && v.Pages == s.Pages && v.Status == s.Status && Encoding.UTF8.GetString(v.HostUtf8) == s.Host,
            "StateView and StatePdu differ in a fixed field");
        Oracle.Check(v.VmCount == s.Vms.Count, $"StateView counts {v.VmCount} records, StatePdu holds {s.Vms.Count}");
        try
        {
            Attrs(v.Facts, s.Facts, "facts");
            int i = 0;
            foreach (var record in v.Vms)
            {
                Oracle.Check(i < s.Vms.Count, "StateView enumerates more records than it counted");
                var vm = s.Vms[i++];
                Oracle.Check(record.Uuid == vm.Uuid && record.Power == vm.Power && record.Reason == vm.Reason && record.Flags == vm.Flags
                    && record.Vcpus == vm.Vcpus && record.MemoryKib == vm.MemoryKib && Encoding.UTF8.GetString(record.NameUtf8) == vm.Name,
                    $"VM record {i - 1}: view and model differ in a fixed field");
                Attrs(record.Attributes, vm.Attributes, $"VM record {i - 1}");
            }
            Oracle.Check(i == s.Vms.Count, $"StateView enumerates {i} records, StatePdu holds {s.Vms.Count}");
        }
        catch (ProtocolException e) { throw Walked("STATE", e); }
    }

    /// <summary>Walks a checked list, nested lists included, comparing each attribute with the model's.</summary>
    private static void Attrs(AttrReader r, AttrList list, string where)
    {
        int i = 0;
        while (r.MoveNext())
        {
            Oracle.Check(i < list.Count, $"{where}: the view has more attributes than the model ({list.Count})");
            var a = list[i++];
            Oracle.Check(r.Type == a.Type && r.Critical == a.Critical, $"{where}: attribute {i - 1} is 0x{r.TypeByte:x2} in the view, {(byte)a.Type:x2} in the model");
            var v = r.Value;
            var def = AttrRegistry.Find(r.TypeByte);
            bool same = def?.Kind switch
            {
                null or AttrKind.Bytes => a.Opaque is not null && v.SequenceEqual(a.Opaque.Bytes),
                AttrKind.U8 or AttrKind.U16 or AttrKind.U32 or AttrKind.U64 or AttrKind.Mac => r.Number == a.Number,
                AttrKind.Text or AttrKind.Name => Encoding.UTF8.GetString(v) == a.Text,
                AttrKind.DiskState => a.Disk == new DiskInfo(Encoding.UTF8.GetString(v[10..]), (DiskBus)v[8], (DiskFlags)v[9], BinaryPrimitives.ReadUInt64BigEndian(v)),
                AttrKind.NicState => a.Nic == new NicInfo(((ulong)BinaryPrimitives.ReadUInt16BigEndian(v) << 32) | BinaryPrimitives.ReadUInt32BigEndian(v[2..]),
                    (NicModel)v[6], (NicKind)v[7], Encoding.UTF8.GetString(v[8..])),
                AttrKind.Nested => a.Nested is not null,
                _ => false,
            };
            Oracle.Check(same, $"{where}: attribute {def?.Name ?? $"0x{r.TypeByte:x2}"} differs between view and model");
            if (def?.Kind == AttrKind.Nested) Attrs(r.NestedReader, a.Nested!, $"{where} {def.Name}");
        }
        Oracle.Check(i == list.Count, $"{where}: the view has {i} attributes, the model {list.Count}");
    }
}
