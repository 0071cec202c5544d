// What hostd checks of a VM before a request touches it (spec §8.1): remove and delete of a VM that runs need
// the force flag, since they would power it off; and a request that would change nothing (start of a running
// VM, pause of a paused one, stop of an off one, memory set to what it is) is a success flagged unchanged
// (spec §7.2), answered without calling libvirt, whose answer would be an error ("domain is already running").
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Hostd.Libvirt;

internal sealed partial class LibvirtHypervisor
{
    /// <summary>The answer to <paramref name="r"/> when the VM's state decides it alone; null: carry it out.</summary>
    private static Outcome? Guard(LibvirtSession s, RequestPdu r)
    {
        if (r.Code is not (RequestCode.Start or RequestCode.Stop or RequestCode.Pause or RequestCode.Resume
            or RequestCode.Remove or RequestCode.Delete or RequestCode.UpdateMemory)) return null;
        using var dom = Domain(s, r.Vm);
        var state = LibvirtApi.GetState(dom).State;
        bool up = state is DomainState.Running or DomainState.Blocked;
        string name = LibvirtApi.GetName(dom);
        return r.Code switch
        {
            RequestCode.Start when up => Outcome.Unchanged(r.Vm, $"{name} is already running"),
            RequestCode.Start when state == DomainState.Paused =>
                Outcome.Failure(r.Vm, $"{name} is paused, not off: resume it to run it again"),
            RequestCode.Resume when up => Outcome.Unchanged(r.Vm, $"{name} is already running"),
            RequestCode.Pause when state == DomainState.Paused => Outcome.Unchanged(r.Vm, $"{name} is already paused"),
            RequestCode.Stop when !LibvirtApi.IsActive(dom) => Outcome.Unchanged(r.Vm, $"{name} is already off"),
            RequestCode.Remove or RequestCode.Delete when !r.Flags.HasFlag(RequestFlags.Force) && LibvirtApi.IsActive(dom) =>
                Outcome.Failure(r.Vm, $"{name} is {Names.Of((PowerState)(byte)state)}: {Names.Of(r.Code)} needs force " +
                    $"(vmmctl vm {Names.Of(r.Code)} --force), which powers it off first"),
            RequestCode.UpdateMemory when MemoryIs(dom, r.Parameters.Number(AttrType.Memory)) =>
                Outcome.Unchanged(r.Vm, $"{name} has {r.Parameters.Number(AttrType.Memory)} KiB of memory already"),
            _ => null,
        };
    }

    /// <summary>Whether the VM has <paramref name="kib"/> of memory now and, when it runs with a persistent
    /// definition, in that definition too (update-memory sets both).</summary>
    private static bool MemoryIs(DomainHandle dom, ulong? kib)
    {
        if (kib is not { } wanted || LibvirtApi.GetInfo(dom).Memory.Value != wanted) return false;
        if (!LibvirtApi.IsActive(dom) || !LibvirtApi.IsPersistent(dom)) return true;
        try
        {
            return DomainXmlReader.CurrentMemoryKib(LibvirtApi.GetXmlDesc(dom, LibvirtApi.XmlInactive)) == wanted;
        }
        catch (FormatException)
        {
            // Unreadable: not known to be unchanged, so the request goes ahead and says what is wrong.
            return false;
        }
    }
}
