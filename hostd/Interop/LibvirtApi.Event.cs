// libvirt-event.h and the domain-event registration of libvirt-domain.h.
using System.Runtime.InteropServices;

namespace Vmm.Hostd.Interop;

internal static unsafe partial class LibvirtApi
{
    /// <summary>VIR_DOMAIN_EVENT_ID_LIFECYCLE: callbacks of type virConnectDomainEventCallback.</summary>
    public const int DomainEventIdLifecycle = 0;

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virEventRegisterDefaultImpl();

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virEventRunDefaultImpl();

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virConnectDomainEventRegisterAny(ConnectionHandle conn, nint dom, int eventId,
        void* cb, nint opaque, delegate* unmanaged<nint, void> freecb);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virConnectDomainEventDeregisterAny(ConnectionHandle conn, int callbackId);

    /// <summary>Installs libvirt's poll-based event loop; must precede the first connection that wants events.</summary>
    public static void RegisterDefaultEventImpl() => Ensure(virEventRegisterDefaultImpl(), "virEventRegisterDefaultImpl");

    /// <summary>Runs one iteration of the default event loop (blocks until something happens).</summary>
    public static void RunDefaultEventImpl() => Ensure(virEventRunDefaultImpl(), "virEventRunDefaultImpl");

    /// <summary>Lifecycle events of every domain of <paramref name="conn"/>; returns the callback id.</summary>
    public static int RegisterLifecycleEvents(ConnectionHandle conn, delegate* unmanaged<nint, nint, int, int, nint, int> cb,
        nint opaque, delegate* unmanaged<nint, void> free) =>
        Ensure(virConnectDomainEventRegisterAny(conn, 0, DomainEventIdLifecycle, (void*)cb, opaque, free), "virConnectDomainEventRegisterAny");

    public static void DeregisterDomainEvents(ConnectionHandle conn, int callbackId) =>
        Ensure(virConnectDomainEventDeregisterAny(conn, callbackId), "virConnectDomainEventDeregisterAny");
}
