// StateWriter is hostd's hot path: it must write exactly what PduCodec writes for the same STATE, page at the
// datagram limit without ever overrunning it, and allocate nothing.
using FsCheck.Xunit;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Tests.Generators;

namespace Vmm.Protocol.Tests.Properties;

[Properties(Arbitrary = [typeof(Arbs)], MaxTest = 200)]
public sealed class StateWriterProperties
{
    private static readonly ClusterKey Key = new(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    [Property]
    public void StateWriter_writes_what_PduCodec_writes(StatePdu x)
    {
        var expected = PduCodec.ToBytes(x with { KeyId = 0, Tag = 0 }, Key);
        var buffer = new byte[PduHeader.MaxStreamPdu];
        var w = new StateWriter(buffer, x.BootId, x.Sequence, x.Report, x.Page, x.Pages, x.Status, x.Host, x.Facts, PduHeader.MaxStreamPdu);
        foreach (var vm in x.Vms) Assert.True(w.TryAdd(vm));
        Assert.Equal(x.Vms.Count, w.Count);
        Assert.Equal(expected, buffer.AsSpan(0, w.Finish(Key)).ToArray());
    }

    [Property]
    public void Pages_never_exceed_the_datagram_limit_and_hold_every_record_that_fits(StatePdu x)
    {
        var small = x with { Facts = [] };
        var buffer = new byte[PduHeader.MaxDatagram];
        var w = new StateWriter(buffer, small.BootId, small.Sequence, 0, 0, 0, small.Status, small.Host, null);
        var added = new List<VmState>();
        foreach (var vm in small.Vms)
        {
            int before = w.Remaining;
            bool fits = vm.EncodedSize <= before;
            Assert.Equal(fits, w.TryAdd(vm));
            if (fits) added.Add(vm);
            else Assert.Equal(before, w.Remaining);
        }
        int length = w.Finish(null);
        Assert.True(length <= PduHeader.MaxDatagram);
        var decoded = (StatePdu)PduCodec.Decode(buffer.AsSpan(0, length), PduHeader.MaxDatagram);
        Assert.Equal(added, decoded.Vms);
    }
}

public sealed class StateWriterAllocationTests
{
    [Fact]
    public void Writing_signing_verifying_and_walking_a_page_of_16_records_allocates_nothing()
    {
        var key = ClusterKey.Generate();
        var facts = new AttrList().Add(AttrType.Cpus, 16).Add(AttrType.Port, 7401);
        var vms = Enumerable.Range(1, 16).Select(i => new VmState
        {
            Uuid = Guid.NewGuid(), Power = PowerState.Running, Reason = 1, Flags = VmFlags.Persistent, Vcpus = 2, MemoryKib = 2097152,
            Name = $"web{i:00}",
            Attributes = new AttrList().Add(new DiskInfo("vda", DiskBus.Virtio, DiskFlags.Owned, 20UL << 30))
                .Add(new NicInfo(0x525400000000UL + (ulong)i, NicModel.Virtio, NicKind.Network, "default")),
        }).ToList();
        var buffer = new byte[PduHeader.MaxDatagram];

        int Page(ulong seq)
        {
            var w = new StateWriter(buffer, 0x1234, seq, 1, 0, 2, HostStatus.None, "hv-01", facts);
            int i = 0;
            while (i < vms.Count && w.TryAdd(vms[i])) i++;
            return w.Finish(key);
        }

        Page(1); // warm-up: the thread's HMAC instance is made on first use
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (ulong s = 2; s < 100; s++) Page(s);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        // The receiving side: frame, authenticate, parse and walk every record and attribute.
        int length = Page(100);
        ulong Walk()
        {
            var frame = buffer.AsSpan(0, length);
            PduFraming.ReadDatagram(frame);
            key.Authenticate(frame);
            var view = StateView.Parse(PduCodec.Body(frame));
            ulong sum = view.Sequence;
            foreach (var r in view.Vms)
            {
                sum += r.MemoryKib + (ulong)r.NameUtf8.Length + (ulong)r.Uuid.GetHashCode();
                var a = r.Attributes;
                while (a.MoveNext()) sum += (ulong)a.Value.Length;
            }
            return sum;
        }
        Walk();
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int n = 0; n < 100; n++) Walk();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
