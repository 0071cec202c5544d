// The zero-allocation views (StateView, RequestView, AckView, AttrReader) must read exactly what the
// materialized model reads: the daemons' hot paths use the views, the tests and vmmctl the model.
using System.Buffers.Binary;
using System.Text;
using FsCheck.Xunit;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Tests.Generators;
using Vmm.Protocol.Tests.Support;

namespace Vmm.Protocol.Tests.Properties;

[Properties(Arbitrary = [typeof(Arbs)], MaxTest = 200)]
public sealed class ViewProperties
{
    [Property]
    public void Walking_a_StateView_reads_what_StatePdu_From_reads(StatePdu x)
    {
        var bytes = Wire.Encode(x);
        var view = StateView.Parse(PduCodec.Body(bytes));
        var model = StatePdu.From(view);
        Assert.Equal(x with { KeyId = 0, Tag = 0 }, model);

        Assert.Equal(x.BootId, view.BootId);
        Assert.Equal(x.Sequence, view.Sequence);
        Assert.Equal(x.Report, view.Report);
        Assert.Equal(x.Page, view.Page);
        Assert.Equal(x.Pages, view.Pages);
        Assert.Equal(x.Status, view.Status);
        Assert.Equal(x.Host, Encoding.UTF8.GetString(view.HostUtf8));
        AttrsMatch(view.Facts, model.Facts, "facts");
        Assert.Equal(model.Vms.Count, view.VmCount);

        int i = 0;
        foreach (var r in view.Vms)
        {
            Assert.True(i < model.Vms.Count, "the view has more records than the model");
            var vm = model.Vms[i++];
            Assert.Equal(vm.Uuid, r.Uuid);
            Assert.Equal(vm.Power, r.Power);
            Assert.Equal(vm.Reason, r.Reason);
            Assert.Equal(vm.Flags, r.Flags);
            Assert.Equal(vm.Vcpus, r.Vcpus);
            Assert.Equal(vm.MemoryKib, r.MemoryKib);
            Assert.Equal(vm.Name, Encoding.UTF8.GetString(r.NameUtf8));
            AttrsMatch(r.Attributes, vm.Attributes, $"record {i}");
            Assert.Equal(VmRecordView.FixedSize + r.NameUtf8.Length + r.AttributeBytes.Length, r.Bytes.Length);
        }
        Assert.Equal(model.Vms.Count, i);
    }

    [Property]
    public void Walking_a_RequestView_reads_what_RequestPdu_From_reads(RequestPdu x)
    {
        var bytes = Wire.Encode(x);
        var view = RequestView.Parse(PduCodec.Body(bytes));
        Assert.Equal(x with { KeyId = 0, Tag = 0 }, RequestPdu.From(view));
        Assert.Equal(x.RequestId, view.RequestId);
        Assert.Equal(x.RequestId, RequestView.PeekRequestId(PduCodec.Body(bytes)));
        Assert.Equal(x.BootId, view.BootId);
        Assert.Equal(x.Code, view.Code);
        Assert.Equal(x.Flags, view.Flags);
        Assert.Equal(x.Vm, view.Vm);
        AttrsMatch(view.Parameters, x.Parameters, "parameters");
    }

    [Property]
    public void Walking_an_AckView_reads_what_AckPdu_From_reads(AckPdu x)
    {
        var bytes = Wire.Encode(x);
        var view = AckView.Parse(PduCodec.Body(bytes));
        Assert.Equal(x with { KeyId = 0, Tag = 0 }, AckPdu.From(view));
        Assert.Equal(x.RequestId, view.RequestId);
        Assert.Equal(x.BootId, view.BootId);
        Assert.Equal(x.Code, view.Code);
        Assert.Equal(x.Flags, view.Flags);
        Assert.Equal(x.Vm, view.Vm);
        AttrsMatch(view.Results, x.Results, "results");
    }

    /// <summary>Walks <paramref name="r"/> and checks each attribute against the model's, value by value.</summary>
    internal static void AttrsMatch(AttrReader r, AttrList expected, string where)
    {
        int i = 0;
        while (r.MoveNext())
        {
            Assert.True(i < expected.Count, $"{where}: the reader has more attributes than the model ({expected.Count})");
            var e = expected[i++];
            Assert.Equal(e.Type, r.Type);
            Assert.Equal(e.Critical, r.Critical);
            Assert.Equal((byte)((byte)e.Type | (e.Critical ? 0x80 : 0)), r.TypeByte);
            var v = r.Value;
            switch (AttrRegistry.Find(r.TypeByte)?.Kind)
            {
                case null or AttrKind.Bytes:
                    Assert.Equal(Wire.Hex(e.Opaque!.Bytes), Wire.Hex(v));
                    break;
                case AttrKind.U8 or AttrKind.U16 or AttrKind.U32 or AttrKind.U64 or AttrKind.Mac:
                    Assert.Equal(e.Number, r.Number);
                    break;
                case AttrKind.Text or AttrKind.Name:
                    Assert.Equal(e.Text, Encoding.UTF8.GetString(v));
                    break;
                case AttrKind.Nested:
                    AttrsMatch(r.NestedReader, e.Nested!, $"{where} / {e.Def!.Name}");
                    break;
                case AttrKind.DiskState:
                    // DiskState { capacity (64), bus (8), flags (8), target (rest) }
                    Assert.Equal(e.Disk, new DiskInfo(Encoding.UTF8.GetString(v[10..]), (DiskBus)v[8], (DiskFlags)v[9], BinaryPrimitives.ReadUInt64BigEndian(v)));
                    break;
                case AttrKind.NicState:
                    // NicState { mac (48), model (8), kind (8), source (rest) }
                    ulong mac = ((ulong)BinaryPrimitives.ReadUInt16BigEndian(v) << 32) | BinaryPrimitives.ReadUInt32BigEndian(v[2..]);
                    Assert.Equal(e.Nic, new NicInfo(mac, (NicModel)v[6], (NicKind)v[7], Encoding.UTF8.GetString(v[8..])));
                    break;
            }
        }
        Assert.Equal(expected.Count, i);
    }
}
