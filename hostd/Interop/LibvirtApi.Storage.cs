// libvirt-storage.h: storage pools and their volumes.
using System.Runtime.InteropServices;

namespace Vmm.Hostd.Interop;

/// <summary>struct _virStorageVolInfo: 24 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirStorageVolInfo
{
    public int Type;            // virStorageVolType
    public ulong Capacity;      // bytes the guest sees
    public ulong Allocation;
}

internal static unsafe partial class LibvirtApi
{
    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint virStoragePoolLookupByName(ConnectionHandle conn, string name);

    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint virStoragePoolDefineXML(ConnectionHandle conn, string xml, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virStoragePoolBuild(StoragePoolHandle pool, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virStoragePoolCreate(StoragePoolHandle pool, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virStoragePoolIsActive(StoragePoolHandle pool);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virStoragePoolRefresh(StoragePoolHandle pool, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virStoragePoolSetAutostart(StoragePoolHandle pool, int autostart);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virStoragePoolFree(nint pool);

    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint virStorageVolCreateXML(StoragePoolHandle pool, string xml, uint flags);

    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint virStorageVolLookupByPath(ConnectionHandle conn, string path);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virStorageVolGetInfo(StorageVolumeHandle vol, VirStorageVolInfo* info);

    [LibraryImport(Libraries.Libvirt)]
    private static partial nint virStorageVolGetPath(StorageVolumeHandle vol);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virStorageVolDelete(StorageVolumeHandle vol, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virStorageVolResize(StorageVolumeHandle vol, ulong capacity, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virStorageVolFree(nint vol);

    internal static int FreeStoragePool(nint pool) => virStoragePoolFree(pool);

    internal static int FreeStorageVolume(nint vol) => virStorageVolFree(vol);

    /// <summary>The pool named <paramref name="name"/>, or null when there is none.</summary>
    public static StoragePoolHandle? LookupStoragePool(ConnectionHandle conn, string name) =>
        Found(virStoragePoolLookupByName(conn, name), ErrorNumber.NoStoragePool, "virStoragePoolLookupByName", p => new StoragePoolHandle(p, conn));

    public static StoragePoolHandle DefineStoragePool(ConnectionHandle conn, string xml) =>
        new(Ensure(virStoragePoolDefineXML(conn, xml, 0), "virStoragePoolDefineXML"), conn);

    public static void BuildStoragePool(StoragePoolHandle pool) => Ensure(virStoragePoolBuild(pool, 0), "virStoragePoolBuild");

    public static void StartStoragePool(StoragePoolHandle pool) => Ensure(virStoragePoolCreate(pool, 0), "virStoragePoolCreate");

    /// <summary>Reads the pool's volumes again (a volume another host made in shared storage is then known).</summary>
    public static void RefreshStoragePool(StoragePoolHandle pool) => Ensure(virStoragePoolRefresh(pool, 0), "virStoragePoolRefresh");

    public static bool IsStoragePoolActive(StoragePoolHandle pool) => Ensure(virStoragePoolIsActive(pool), "virStoragePoolIsActive") == 1;

    public static void SetStoragePoolAutostart(StoragePoolHandle pool, bool autostart) =>
        Ensure(virStoragePoolSetAutostart(pool, autostart ? 1 : 0), "virStoragePoolSetAutostart");

    public static StorageVolumeHandle CreateStorageVolume(StoragePoolHandle pool, string xml) =>
        new(Ensure(virStorageVolCreateXML(pool, xml, 0), "virStorageVolCreateXML"), pool.Connection);

    /// <summary>The volume at <paramref name="path"/> in any pool of the connection, or null when no pool holds it.</summary>
    public static StorageVolumeHandle? LookupStorageVolume(ConnectionHandle conn, string path) =>
        Found(virStorageVolLookupByPath(conn, path), ErrorNumber.NoStorageVolume, "virStorageVolLookupByPath", p => new StorageVolumeHandle(p, conn));

    public static VirStorageVolInfo GetStorageVolumeInfo(StorageVolumeHandle vol)
    {
        VirStorageVolInfo info;
        Ensure(virStorageVolGetInfo(vol, &info), "virStorageVolGetInfo");
        return info;
    }

    public static string GetStorageVolumePath(StorageVolumeHandle vol) =>
        NativeStrings.Take(Ensure(virStorageVolGetPath(vol), "virStorageVolGetPath"))!;

    public static void DeleteStorageVolume(StorageVolumeHandle vol) => Ensure(virStorageVolDelete(vol, 0), "virStorageVolDelete");

    public static void ResizeStorageVolume(StorageVolumeHandle vol, ulong bytes) =>
        Ensure(virStorageVolResize(vol, bytes, 0), "virStorageVolResize");
}
