// One realistic PDU of every type, for the example-based tests.
using Vmm.Protocol.Pdus;

namespace Vmm.Protocol.Tests.Support;

/// <summary>A typical PDU of each type, filled in the way the daemons fill them.</summary>
public static class Samples
{
    public static readonly Guid VmUuid = Guid.Parse("0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20");

    public static VmState RunningVm => new()
    {
        Uuid = VmUuid, Power = PowerState.Running, Reason = 1, Flags = VmFlags.Persistent | VmFlags.Autostart,
        Vcpus = 2, MemoryKib = 2 * 1024 * 1024, Name = "web-1 (café 日本)",
        Attributes = new AttrList()
            .Add(new DiskInfo("vda", DiskBus.Virtio, DiskFlags.Owned, 20UL << 30))
            .Add(new DiskInfo("sda", DiskBus.Sata, DiskFlags.ReadOnly | DiskFlags.Cdrom, 0))
            .Add(new NicInfo(0x525400123456, NicModel.Virtio, NicKind.Network, "default"))
            .Add(AttrType.MaxVcpus, 8).Add(AttrType.MaxMemory, 8UL << 20).Add(AttrType.Snapshots, 1).Add(AttrType.LastRequest, 41),
    };

    public static StatePdu State => new()
    {
        BootId = 0x1122334455667788, Sequence = 7, Report = 3, Page = 0, Pages = 2, Status = HostStatus.None, Host = "hv1",
        Facts = new AttrList().Add(AttrType.Cpus, 16).Add(AttrType.MemoryTotal, 64UL << 30).Add(AttrType.MemoryFree, 40UL << 30)
            .Add(AttrType.Port, 7001).Add(AttrType.MigrationUri, "qemu+tcp://hv1/system").Add(AttrType.Hypervisor, "QEMU 8.2.2").Add(AttrType.VmCount, 2),
        Vms = [RunningVm, VmState.TombstoneFor(Guid.Parse("7d1c7e0e-3e55-4b9b-8f55-0d7f6f0b7a11"), "old-vm")],
    };

    public static RequestPdu Request => new()
    {
        RequestId = 42, BootId = 0x1122334455667788, Code = RequestCode.Add, Vm = VmUuid,
        Parameters = new AttrList().Add(AttrType.Name, "web-1").Add(AttrType.Vcpus, 2).Add(AttrType.Memory, 2UL << 20)
            .Add(AttrType.DiskSpec, new AttrList().Add(AttrType.Target, "vda").Add(AttrType.Size, 20UL << 30).Add(AttrType.BaseImage, "/var/lib/images/debian-12.qcow2").Add(AttrType.Bus, 1))
            .Add(AttrType.NicSpec, new AttrList().Add(AttrType.Mac, 0x525400123456).Add(AttrType.Network, "default").Add(AttrType.Model, 1))
            .Add(AttrType.TimeoutMs, 30000),
    };

    public static AckPdu Ack => new()
    {
        RequestId = 42, BootId = 0x1122334455667788, Code = AckCode.Success, Flags = AckFlags.Replayed, Vm = VmUuid,
        Results = new AttrList().Add(AttrType.SnapshotName, "before-upgrade").Add(AttrType.SnapshotName, "nightly").Add(AttrType.DurationUs, 1234567),
    };

    public static ErrorPdu Error => new()
    {
        Code = ProtocolErrorCode.BadVersion,
        Attributes = new AttrList().Add(AttrType.Message, "PDU version 1 is not supported; this end speaks version 2").Add(AttrType.Version, 2),
    };

    public static AdminQueryPdu Query => new() { What = QueryKind.Vms, Filters = new AttrList().Add(AttrType.Host, "hv1") };

    public static AdminSubmitPdu Submit => new()
    {
        Code = RequestCode.Stop, Flags = RequestFlags.Force,
        Parameters = new AttrList().Add(AttrType.TimeoutMs, 60000).Add(AttrType.Ref, "web-1"),
    };

    public static AdminHostPdu Host => new()
    {
        BootId = 0x1122334455667788, Sequence = 99, State = HostState.Up, Name = "hv1",
        Attributes = new AttrList().Add(AttrType.Cpus, 16).Add(AttrType.Address, "192.0.2.10:7001").Add(AttrType.AgeMs, 850)
            .Add(AttrType.Accepted, 1000).Add(AttrType.Dropped, 2),
    };

    public static AdminVmPdu AdminVm => new()
    {
        Host = "hv1", Vm = RunningVm,
        Attributes = new AttrList().Add(AttrType.AgeMs, 850).Add(AttrType.LastAck, (ulong)AckCode.Success).Add(AttrType.LastCode, (ulong)RequestCode.Start),
    };

    public static AdminResultPdu Result => new()
    {
        Code = AckCode.NotFound, RequestId = 0, Vm = Guid.Empty,
        Attributes = new AttrList().Add(AttrType.Message, "no VM named 'web-9'; 'vmmctl list' shows the VMs").Add(AttrType.ErrorCode, 6),
    };

    public static IEnumerable<Pdu> All => [State, Request, Ack, Error, Query, Submit, Host, AdminVm, Result];

    /// <summary>xunit data: one case per PDU type, named by its text keyword.</summary>
    public static TheoryData<string> Types => new(All.Select(p => p.Type.Name()));

    public static Pdu Of(string keyword) => All.Single(p => p.Type.Name() == keyword);
}
