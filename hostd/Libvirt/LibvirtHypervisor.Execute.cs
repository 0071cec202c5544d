// Execute: one REQUEST to its handler, and every way it can fail to an ack code.
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Libvirt;

internal sealed partial class LibvirtHypervisor
{
    public Outcome Execute(RequestPdu request)
    {
        try
        {
            var s = Session();
            if ((Guard(s, request) ?? HaGuard(s, request)) is { } early) return early;
            return request.Code switch
            {
                RequestCode.Add => Add(s, request),
                RequestCode.Remove => Remove(s, request, deleteOwnedVolumes: false),
                RequestCode.Delete => Remove(s, request, deleteOwnedVolumes: true),
                RequestCode.Start => OnDomain(s, request, LibvirtApi.Create),
                RequestCode.Stop => Stop(s, request),
                RequestCode.Restart => OnDomain(s, request, LibvirtApi.Reboot),
                RequestCode.Pause => OnDomain(s, request, LibvirtApi.Suspend),
                RequestCode.Resume => OnDomain(s, request, LibvirtApi.Resume),
                RequestCode.Migrate => Migrate(s, request),
                RequestCode.AddNic => AddNic(s, request),
                RequestCode.RemoveNic => RemoveNic(s, request),
                RequestCode.UpdateMemory => UpdateMemory(s, request),
                RequestCode.AddCpu => ChangeVcpus(s, request, +1),
                RequestCode.RemoveCpu => ChangeVcpus(s, request, -1),
                RequestCode.UpdateDisk => UpdateDisk(s, request),
                RequestCode.Snapshot => Snapshot(s, request),
                RequestCode.SetHa => SetHa(s, request),
                // Ping, lease and unknown codes are the daemon's to answer (IHypervisor.Execute): one here is a bug there.
                _ => throw new ArgumentOutOfRangeException(nameof(request), request.Code, "not a request for the hypervisor"),
            };
        }
        catch (HypervisorException e)
        {
            return Outcome.With(e.Code, request.Vm, e.Message, e.ErrorCode == 0 ? null : e.ErrorCode);
        }
        catch (SpecException e)
        {
            return Outcome.Failure(request.Vm, e.Message);
        }
        catch (ObjectDisposedException)
        {
            // The connection was dropped (libvirtd went away) while this request was using it.
            return Outcome.Failure(request.Vm, $"hypervisor unreachable: {_unreachableReason}");
        }
    }

    private static Outcome OnDomain(LibvirtSession s, RequestPdu r, Action<DomainHandle> act)
    {
        using var dom = Domain(s, r.Vm);
        act(dom);
        return Outcome.Success(r.Vm);
    }

    /// <summary>The request's VM; a uuid the host does not have is not-found, naming it.</summary>
    private static DomainHandle Domain(LibvirtSession s, Guid uuid) =>
        LibvirtApi.LookupDomain(s.Connection, uuid)
        ?? throw new HypervisorException(AckCode.NotFound, ErrorNumber.NoDomain, $"no VM with uuid {uuid} on this host");

    /// <summary>Live when the domain runs, config when it has a persistent definition: what "live and persistent" means for it.</summary>
    private static Affect LiveAndConfig(DomainHandle dom)
    {
        var affect = Affect.Current;
        if (LibvirtApi.IsActive(dom)) affect |= Affect.Live;
        if (LibvirtApi.IsPersistent(dom)) affect |= Affect.Config;
        return affect;
    }
}
