// update-memory, add-cpu and remove-cpu: live (when running) and persistent, within the VM's maxima.
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Hostd.Libvirt;

internal sealed partial class LibvirtHypervisor
{
    private static Outcome UpdateMemory(LibvirtSession s, RequestPdu r)
    {
        ulong kib = Parameters.RequiredNumber(r.Parameters, AttrType.Memory, "memory", "the new memory in KiB");
        if (kib == 0) throw new SpecException("memory 0 KiB: a VM needs memory");
        using var dom = Domain(s, r.Vm);
        ulong max = LibvirtApi.GetInfo(dom).MaxMem.Value;
        if (kib > max) throw new SpecException($"memory {SizeText.ExactKib(kib)} is above this VM's max-memory {SizeText.ExactKib(max)}");
        // One call per side: some drivers (the test driver) refuse live and config together for memory.
        var affect = LiveAndConfig(dom);
        if (affect.HasFlag(Affect.Live)) LibvirtApi.SetMemory(dom, kib, Affect.Live);
        if (affect.HasFlag(Affect.Config)) LibvirtApi.SetMemory(dom, kib, Affect.Config);
        return Outcome.Success(r.Vm);
    }

    private static Outcome ChangeVcpus(LibvirtSession s, RequestPdu r, int direction)
    {
        ulong count = r.Parameters.Number(AttrType.Count) ?? 1;
        if (count == 0) throw new SpecException("count 0: give how many vCPUs (at least 1)");
        using var dom = Domain(s, r.Vm);
        long now = LibvirtApi.GetInfo(dom).NrVirtCpu;
        long max = Math.Max(Describe(dom).MaxVcpus, now);
        long wanted = now + direction * (long)count;
        // Named by the total the request would make, which is what an operator setting a count asked for.
        if (wanted < 1)
            throw new SpecException($"count {count}: {now} - {count} would leave the VM {wanted} vCPUs; at least 1 must stay");
        if (wanted > max)
            throw new SpecException($"count {count}: {now} + {count} would give the VM {wanted} vCPUs, above its max-vcpus {max}");
        LibvirtApi.SetVcpus(dom, (uint)wanted, LiveAndConfig(dom));
        return Outcome.Success(r.Vm);
    }
}
