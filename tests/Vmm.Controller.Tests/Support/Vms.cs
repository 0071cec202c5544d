using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

/// <summary>VM records for tests.</summary>
internal static class Vms
{
    public static Guid Uuid(int n) => new($"00000000-0000-4000-8000-{n:x12}");

    public static VmState Vm(int n, PowerState power = PowerState.Running, ushort vcpus = 2, ulong memoryKib = 1 << 20, string? name = null) => new()
    {
        Uuid = Uuid(n),
        Power = power,
        Reason = 1,
        Flags = VmFlags.Persistent,
        Vcpus = vcpus,
        MemoryKib = memoryKib,
        Name = name ?? $"vm-{n}",
        Attributes = new AttrList().Add(new DiskInfo("vda", DiskBus.Virtio, DiskFlags.Owned, 10UL << 30)),
    };

    public static VmState Tombstone(int n, string? name = null) => VmState.TombstoneFor(Uuid(n), name ?? $"vm-{n}");
}
