// HA (spec §15): the mark in a domain's metadata (set-ha), no HA VM started while the lease is not running, and fencing
// the marked VMs when the lease lapses.
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

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

    private Func<string?> _leaseNotRunning = static () => null;

    public void GateHaStarts(Func<string?> leaseNotRunning) => _leaseNotRunning = leaseNotRunning;

    // An HA VM that starts (start, resume, a revert that may leave it running) while the lease is not running is
    // fenced within a second: refused instead, unavailable, with nothing done (spec §15.3). A revert is refused
    // whatever the snapshot's state: telling would cost a read of the snapshot, and a retry a second later costs less.
    private Outcome? HaGuard(LibvirtSession s, RequestPdu r)
    {
        bool starts = r.Code is RequestCode.Start or RequestCode.Resume
            || (r.Code == RequestCode.Snapshot && r.Parameters.Number(AttrType.SnapshotOp) == (ulong)SnapshotOp.Revert);
        if (!starts || _leaseNotRunning() is not { } why) return null;
        using var dom = Domain(s, r.Vm);
        using (var xml = LibvirtApi.GetXmlDescUtf8(dom))
            if (!_descriptions.Get(r.Vm, xml.Utf8).Ha) return null;
        string name = LibvirtApi.GetName(dom);
        _log.Warn("{0} of HA VM {1} ({2}) refused: the host's lease {3}", Names.Of(r.Code), name, r.Vm, why);
        return Outcome.With(AckCode.Unavailable, r.Vm,
            $"{name} is HA and this host's lease {why}: it would be fenced at once, so nothing was done; try again once a controller renews the lease (every second)", null);
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
