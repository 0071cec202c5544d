// HA (spec §15): the mark in a domain's metadata (set-ha), and fencing the marked VMs when the lease lapses.
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Libvirt;

internal sealed partial class LibvirtHypervisor
{
    // set-ha: the mark lives in the definition (live too, when running), so it survives hostd, libvirtd and the VM.
    private Outcome SetHa(LibvirtSession s, RequestPdu r)
    {
        bool ha = Parameters.RequiredNumber(r.Parameters, AttrType.Ha, "ha", "1 to mark the VM HA, 0 to clear the mark") switch
        {
            0 => false,
            1 => true,
            var v => throw new SpecException($"ha {v} is not 0 (off) or 1 (on)"),
        };
        using var dom = Domain(s, r.Vm);
        var description = Describe(dom);
        string name = LibvirtApi.GetName(dom);
        if (description.Ha == ha) return Outcome.Unchanged(r.Vm, $"{name} is {(ha ? "HA" : "not HA")} already");
        SetOwnedVolumes(dom, description.OwnedVolumes, ha, LiveAndConfig(dom));
        _descriptions.Forget(r.Vm);
        _log.Info("VM {0} ({1}) is {2} now", name, r.Vm, ha ? "HA" : "not HA");
        return Outcome.Success(r.Vm);
    }

    public IReadOnlyList<string> FenceHa(bool pause)
    {
        var s = Session();
        return Guarded(() =>
        {
            var fenced = new List<string>();
            foreach (var dom in LibvirtApi.ListAllDomains(s.Connection))
            {
                using (dom)
                {
                    try
                    {
                        var state = LibvirtApi.GetState(dom).State;
                        if (state is DomainState.Shutoff or DomainState.Crashed || (pause && state == DomainState.Paused)) continue;
                        var uuid = LibvirtApi.GetUuid(dom);
                        using (var xml = LibvirtApi.GetXmlDescUtf8(dom))
                            if (!_descriptions.Get(uuid, xml.Utf8).Ha) continue;
                        if (pause) LibvirtApi.Suspend(dom);
                        else LibvirtApi.Destroy(dom);
                        fenced.Add($"{LibvirtApi.GetName(dom)} ({uuid})");
                    }
                    catch (HypervisorException e) when (e.ErrorCode == ErrorNumber.NoDomain)
                    {
                        // Gone between the listing and the fence: nothing runs.
                    }
                    catch (FormatException e)
                    {
                        _log.Warn("fencing: a domain's XML cannot be read, so whether it is HA is unknown: {0}", e.Message);
                    }
                }
            }
            return fenced;
        });
    }
}
