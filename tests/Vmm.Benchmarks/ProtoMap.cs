// Vmm models to their protobuf equivalents. Used to build the protobuf fixtures and to prove, after decoding
// both formats, that they carry the same information. Not on any measured path.
using Google.Protobuf;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Benchmarks;

internal static class ProtoMap
{
    public static Proto.State From(StatePdu s)
    {
        var p = new Proto.State
        {
            BootId = s.BootId, Sequence = s.Sequence, Report = s.Report, Page = s.Page, Pages = s.Pages,
            Status = (uint)s.Status, Host = s.Host,
        };
        if (s.Facts.Count > 0) p.Facts = Facts(s.Facts);
        foreach (var vm in s.Vms) p.Vms.Add(From(vm));
        return p;
    }

    private static Proto.HostFacts Facts(AttrList facts)
    {
        var f = new Proto.HostFacts();
        foreach (var a in facts)
        {
            switch (a.Type)
            {
                case AttrType.Cpus: f.Cpus = (uint)a.Number; break;
                case AttrType.MemoryTotal: f.MemoryTotal = a.Number; break;
                case AttrType.MemoryFree: f.MemoryFree = a.Number; break;
                case AttrType.Port: f.Port = (uint)a.Number; break;
                case AttrType.MigrationUri: f.MigrationUri = a.Text; break;
                case AttrType.Hypervisor: f.Hypervisor = a.Text; break;
                case AttrType.VmCount: f.VmCount = (uint)a.Number; break;
                default: throw Unmapped(a);
            }
        }
        return f;
    }

    private static Proto.VmRecord From(VmState vm)
    {
        var p = new Proto.VmRecord
        {
            Uuid = Uuid(vm.Uuid), Power = (Proto.PowerState)vm.Power, Reason = vm.Reason, Flags = (uint)vm.Flags,
            Vcpus = vm.Vcpus, MemoryKib = vm.MemoryKib, Name = vm.Name,
        };
        foreach (var a in vm.Attributes)
        {
            switch (a.Type)
            {
                case AttrType.Disk:
                    var d = a.Disk!;
                    p.Disks.Add(new Proto.Disk { Capacity = d.Capacity, Bus = (Proto.DiskBus)d.Bus, Flags = (uint)d.Flags, Target = d.Target });
                    break;
                case AttrType.Nic:
                    var n = a.Nic!;
                    p.Nics.Add(new Proto.Nic { Mac = n.Mac, Model = (Proto.NicModel)n.Model, Kind = (Proto.NicKind)n.Kind, Source = n.Source });
                    break;
                case AttrType.MaxVcpus: p.MaxVcpus = (uint)a.Number; break;
                case AttrType.MaxMemory: p.MaxMemory = a.Number; break;
                case AttrType.Snapshots: p.Snapshots = (uint)a.Number; break;
                case AttrType.LastRequest: p.LastRequest = a.Number; break;
                default: throw Unmapped(a);
            }
        }
        return p;
    }

    public static Proto.Request From(RequestPdu r)
    {
        var p = new Proto.Request
        {
            RequestId = r.RequestId, BootId = r.BootId, Code = (Proto.RequestCode)r.Code, Flags = (uint)r.Flags, Uuid = Uuid(r.Vm),
        };
        foreach (var a in r.Parameters)
        {
            switch (a.Type)
            {
                case AttrType.MaxVcpus: p.MaxVcpus = (uint)a.Number; break;
                case AttrType.MaxMemory: p.MaxMemory = a.Number; break;
                case AttrType.Name: p.Name = a.Text; break;
                case AttrType.Vcpus: p.Vcpus = (uint)a.Number; break;
                case AttrType.Memory: p.Memory = a.Number; break;
                case AttrType.DiskSpec: p.DiskSpecs.Add(DiskSpec(a.Nested!)); break;
                case AttrType.NicSpec: p.NicSpecs.Add(NicSpec(a.Nested!)); break;
                case AttrType.TimeoutMs: p.TimeoutMs = (uint)a.Number; break;
                case AttrType.DestUri: p.DestUri = a.Text; break;
                case AttrType.SnapshotName: p.SnapshotNames.Add(a.Text); break;
                case AttrType.SnapshotOp: p.SnapshotOp = (uint)a.Number; break;
                case AttrType.DiskOp: p.DiskOp = (uint)a.Number; break;
                case AttrType.Count: p.Count = (uint)a.Number; break;
                case AttrType.Target: p.Target = a.Text; break;
                case AttrType.Size: p.Size = a.Number; break;
                case AttrType.Mac: p.Mac = a.Number; break;
                default: throw Unmapped(a);
            }
        }
        return p;
    }

    private static Proto.DiskSpec DiskSpec(AttrList spec)
    {
        var d = new Proto.DiskSpec();
        foreach (var a in spec)
        {
            switch (a.Type)
            {
                case AttrType.Target: d.Target = a.Text; break;
                case AttrType.Size: d.Size = a.Number; break;
                case AttrType.BaseImage: d.BaseImage = a.Text; break;
                case AttrType.Bus: d.Bus = (Proto.DiskBus)a.Number; break;
                default: throw Unmapped(a);
            }
        }
        return d;
    }

    private static Proto.NicSpec NicSpec(AttrList spec)
    {
        var n = new Proto.NicSpec();
        foreach (var a in spec)
        {
            switch (a.Type)
            {
                case AttrType.Mac: n.Mac = a.Number; break;
                case AttrType.Network: n.Network = a.Text; break;
                case AttrType.Bridge: n.Bridge = a.Text; break;
                case AttrType.Model: n.Model = (Proto.NicModel)a.Number; break;
                default: throw Unmapped(a);
            }
        }
        return n;
    }

    public static Proto.Ack From(AckPdu a)
    {
        var p = new Proto.Ack
        {
            RequestId = a.RequestId, BootId = a.BootId, Code = (Proto.AckCode)a.Code, Flags = (uint)a.Flags, Uuid = Uuid(a.Vm),
        };
        foreach (var r in a.Results)
        {
            switch (r.Type)
            {
                case AttrType.SnapshotName: p.SnapshotNames.Add(r.Text); break;
                case AttrType.ErrorCode: p.ErrorCode = (uint)r.Number; break;
                case AttrType.Message: p.Message = r.Text; break;
                case AttrType.DurationUs: p.DurationUs = r.Number; break;
                default: throw Unmapped(r);
            }
        }
        return p;
    }

    private static ByteString Uuid(Guid g)
    {
        var b = new byte[16];
        g.TryWriteBytes(b, bigEndian: true, out _);
        return ByteString.CopyFrom(b);
    }

    private static InvalidOperationException Unmapped(Attr a) => new($"attribute {a.Type} has no protobuf field in vmm_bench.proto");
}
