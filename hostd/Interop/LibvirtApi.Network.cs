// libvirt-network.h: the virtual networks a NIC's network= names, looked up before a VM or NIC uses one.
using System.Runtime.InteropServices;

namespace Vmm.Hostd.Interop;

internal static unsafe partial class LibvirtApi
{
    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint virNetworkLookupByName(ConnectionHandle conn, string name);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virConnectListAllNetworks(ConnectionHandle conn, nint** networks, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial nint virNetworkGetName(NetworkHandle network);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virNetworkFree(nint network);

    internal static int FreeNetwork(nint network) => virNetworkFree(network);

    /// <summary>The network named <paramref name="name"/> (active or not), or null when the host has none of that name.</summary>
    public static NetworkHandle? LookupNetwork(ConnectionHandle conn, string name) =>
        Found(virNetworkLookupByName(conn, name), ErrorNumber.NoNetwork, "virNetworkLookupByName", p => new NetworkHandle(p, conn));

    /// <summary>The names of every network of the host, active or not.</summary>
    public static List<string> ListNetworkNames(ConnectionHandle conn)
    {
        nint* array = null;
        int n = Ensure(virConnectListAllNetworks(conn, &array, 0), "virConnectListAllNetworks");
        var handles = NativeArrays.Adopt(array, n, p => new NetworkHandle(p, conn));
        var names = new List<string>(n);
        foreach (var h in handles)
        {
            using (h) names.Add(NativeStrings.Borrowed(Ensure(virNetworkGetName(h), "virNetworkGetName"))!);
        }
        return names;
    }
}
