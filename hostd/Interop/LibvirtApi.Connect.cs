// libvirt-host.h: connections and the node they talk to.
using System.Runtime.InteropServices;

namespace Vmm.Hostd.Interop;

/// <summary>struct _virNodeInfo (libvirt-host.h), LP64 layout: 64 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VirNodeInfo
{
    public fixed byte Model[32];
    public CULong Memory;       // KiB
    public uint Cpus;
    public uint Mhz;
    public uint Nodes;
    public uint Sockets;
    public uint Cores;
    public uint Threads;
}

/// <summary>virConnectCloseReason.</summary>
internal enum CloseReason
{
    Error = 0,
    Eof = 1,
    KeepAlive = 2,
    Client = 3,
}

internal static unsafe partial class LibvirtApi
{
    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint virConnectOpen(string? name);

    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint virConnectOpenReadOnly(string? name);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virConnectClose(nint conn);

    [LibraryImport(Libraries.Libvirt)]
    private static partial nint virConnectGetType(ConnectionHandle conn);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virConnectGetVersion(ConnectionHandle conn, CULong* version);

    [LibraryImport(Libraries.Libvirt)]
    private static partial nint virConnectGetHostname(ConnectionHandle conn);

    [LibraryImport(Libraries.Libvirt)]
    private static partial nint virConnectGetURI(ConnectionHandle conn);

    [LibraryImport(Libraries.Libvirt)]
    private static partial nint virConnectGetCapabilities(ConnectionHandle conn);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virNodeGetInfo(ConnectionHandle conn, VirNodeInfo* info);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virConnectSetKeepAlive(ConnectionHandle conn, int interval, uint count);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virConnectRegisterCloseCallback(ConnectionHandle conn,
        delegate* unmanaged<nint, int, nint, void> cb, nint opaque, delegate* unmanaged<nint, void> freecb);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virConnectUnregisterCloseCallback(ConnectionHandle conn, delegate* unmanaged<nint, int, nint, void> cb);

    /// <summary>Opens a connection (read-write, or read-only to probe another host).</summary>
    public static ConnectionHandle Open(string uri, bool readOnly = false)
    {
        nint p = readOnly ? virConnectOpenReadOnly(uri) : virConnectOpen(uri);
        return new ConnectionHandle(Ensure(p, $"virConnectOpen({uri})"));
    }

    internal static int CloseConnection(nint conn) => virConnectClose(conn);

    /// <summary>The driver's name: QEMU, TEST, LXC...</summary>
    public static string GetConnectionType(ConnectionHandle conn) =>
        NativeStrings.Borrowed(Ensure(virConnectGetType(conn), "virConnectGetType"))!;

    /// <summary>The hypervisor version as libvirt encodes it: major * 1,000,000 + minor * 1,000 + micro.</summary>
    public static ulong GetVersion(ConnectionHandle conn)
    {
        CULong v;
        Ensure(virConnectGetVersion(conn, &v), "virConnectGetVersion");
        return v.Value;
    }

    public static string GetHostname(ConnectionHandle conn) =>
        NativeStrings.Take(Ensure(virConnectGetHostname(conn), "virConnectGetHostname"))!;

    /// <summary>The URI the connection resolved to (a null URI picks a default driver).</summary>
    public static string GetUri(ConnectionHandle conn) =>
        NativeStrings.Take(Ensure(virConnectGetURI(conn), "virConnectGetURI"))!;

    public static string GetCapabilities(ConnectionHandle conn) =>
        NativeStrings.Take(Ensure(virConnectGetCapabilities(conn), "virConnectGetCapabilities"))!;

    public static VirNodeInfo GetNodeInfo(ConnectionHandle conn)
    {
        VirNodeInfo info;
        Ensure(virNodeGetInfo(conn, &info), "virNodeGetInfo");
        return info;
    }

    /// <summary>Starts keepalive pings: after <paramref name="count"/> unanswered ones, <paramref name="interval"/>
    /// seconds apart, the connection is closed and the close callback fires.</summary>
    public static void SetKeepAlive(ConnectionHandle conn, int interval, uint count) =>
        Ensure(virConnectSetKeepAlive(conn, interval, count), "virConnectSetKeepAlive");

    public static void RegisterCloseCallback(ConnectionHandle conn, delegate* unmanaged<nint, int, nint, void> cb,
        nint opaque, delegate* unmanaged<nint, void> free) =>
        Ensure(virConnectRegisterCloseCallback(conn, cb, opaque, free), "virConnectRegisterCloseCallback");

    public static void UnregisterCloseCallback(ConnectionHandle conn, delegate* unmanaged<nint, int, nint, void> cb) =>
        Ensure(virConnectUnregisterCloseCallback(conn, cb), "virConnectUnregisterCloseCallback");
}
