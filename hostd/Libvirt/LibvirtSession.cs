// One open libvirt connection and the callbacks registered on it. A reconnect makes a new session; the old
// one is disposed, so callbacks of a dead connection can never reach the live one.
using System.Runtime.InteropServices;
using NLog;
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt.Xml;

namespace Vmm.Hostd.Libvirt;

internal sealed unsafe class LibvirtSession : IDisposable
{
    private readonly Action<Guid> _vmChanged;
    private readonly Logger _log;
    private readonly TaskCompletionSource<string> _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lazy<HostFlavor> _flavor;
    private int _lifecycleCallbackId = -1;
    private bool _closeCallbackRegistered;

    private LibvirtSession(ConnectionHandle connection, Action<Guid> vmChanged, Logger log)
    {
        Connection = connection;
        _vmChanged = vmChanged;
        _log = log;
        Type = LibvirtApi.GetConnectionType(connection);
        _flavor = new Lazy<HostFlavor>(() => CapabilitiesXml.Parse(LibvirtApi.GetCapabilities(Connection), Type));
    }

    public ConnectionHandle Connection { get; }

    /// <summary>The driver's name (QEMU, TEST, ...).</summary>
    public string Type { get; }

    /// <summary>Domain type, emulator, arch and machine for new domains, read from the capabilities once.</summary>
    public HostFlavor Flavor => _flavor.Value;

    /// <summary>Completes, with a one-line reason, when libvirt closes the connection under us.</summary>
    public Task<string> Lost => _lost.Task;

    /// <summary>Opens <paramref name="uri"/> with keepalive, lifecycle events and a close callback.</summary>
    public static LibvirtSession Open(string uri, Action<Guid> vmChanged, Logger log)
    {
        EventLoop.EnsureRunning(log);
        var connection = LibvirtApi.Open(uri);
        var session = new LibvirtSession(connection, vmChanged, log);
        try
        {
            session.Register();
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private void Register()
    {
        try
        {
            // 5 s between pings, 3 unanswered pings: a dead libvirtd is noticed within about 20 s.
            LibvirtApi.SetKeepAlive(Connection, 5, 3);
        }
        catch (HypervisorException e) when (e.Code == Protocol.AckCode.Unsupported)
        {
            // In-process drivers (test:///, and the daemon's own) have no wire to keep alive.
        }

        // Each registration gets its own GCHandle, freed by libvirt's free callback when it is deregistered
        // (or when the connection goes), so no callback can ever see a freed handle.
        nint events = GCHandle.ToIntPtr(GCHandle.Alloc(this));
        try
        {
            _lifecycleCallbackId = LibvirtApi.RegisterLifecycleEvents(Connection, &OnLifecycle, events, &FreeOpaque);
        }
        catch
        {
            GCHandle.FromIntPtr(events).Free();
            throw;
        }

        nint close = GCHandle.ToIntPtr(GCHandle.Alloc(this));
        try
        {
            LibvirtApi.RegisterCloseCallback(Connection, &OnClose, close, &FreeOpaque);
            _closeCallbackRegistered = true;
        }
        catch
        {
            GCHandle.FromIntPtr(close).Free();
            throw;
        }
    }

    // virConnectDomainEventCallback, on the event-loop thread. An exception must not cross into libvirt.
    [UnmanagedCallersOnly]
    private static int OnLifecycle(nint conn, nint dom, int evt, int detail, nint opaque)
    {
        try
        {
            if (GCHandle.FromIntPtr(opaque).Target is LibvirtSession s && LibvirtApi.GetUuidOfBorrowed(dom) is Guid uuid)
                s._vmChanged(uuid);
        }
        catch (Exception e)
        {
            if (GCHandle.FromIntPtr(opaque).Target is LibvirtSession s) s._log.Error(e, "VmChanged handler failed");
        }
        return 0;
    }

    // virConnectCloseFunc: libvirtd went away (EOF, I/O error or keepalive timeout).
    [UnmanagedCallersOnly]
    private static void OnClose(nint conn, int reason, nint opaque)
    {
        if (GCHandle.FromIntPtr(opaque).Target is not LibvirtSession s) return;
        string why = (CloseReason)reason switch
        {
            CloseReason.Eof => "libvirt closed the connection",
            CloseReason.KeepAlive => "libvirt stopped answering keepalive messages",
            CloseReason.Client => "the connection was closed",
            _ => "the connection to libvirt failed",
        };
        s._lost.TrySetResult(why);
    }

    // virFreeCallback for both registrations.
    [UnmanagedCallersOnly]
    private static void FreeOpaque(nint opaque) => GCHandle.FromIntPtr(opaque).Free();

    public void Dispose()
    {
        // On a dead connection these calls fail; the connection is going away anyway.
        if (_lifecycleCallbackId >= 0)
        {
            try { LibvirtApi.DeregisterDomainEvents(Connection, _lifecycleCallbackId); }
            catch (HypervisorException e) { _log.Debug("deregistering events: {0}", e.Message); }
            _lifecycleCallbackId = -1;
        }
        if (_closeCallbackRegistered)
        {
            try { LibvirtApi.UnregisterCloseCallback(Connection, &OnClose); }
            catch (HypervisorException e) { _log.Debug("unregistering the close callback: {0}", e.Message); }
            _closeCallbackRegistered = false;
        }
        _lost.TrySetResult("disconnected");
        Connection.Dispose();
    }
}
