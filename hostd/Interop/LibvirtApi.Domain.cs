// libvirt-domain.h: domains (VMs), their lifecycle, devices and resources.
using System.Runtime.InteropServices;

namespace Vmm.Hostd.Interop;

/// <summary>struct _virDomainInfo (libvirt-domain.h), LP64 layout: 40 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirDomainInfo
{
    public byte State;          // virDomainState
    public CULong MaxMem;       // KiB
    public CULong Memory;       // KiB
    public ushort NrVirtCpu;
    public ulong CpuTime;       // ns
}

/// <summary>struct _virDomainBlockInfo: 24 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirDomainBlockInfo
{
    public ulong Capacity;      // bytes the guest sees
    public ulong Allocation;
    public ulong Physical;
}

/// <summary>virDomainState.</summary>
internal enum DomainState
{
    NoState = 0, Running = 1, Blocked = 2, Paused = 3, Shutdown = 4, Shutoff = 5, Crashed = 6, PmSuspended = 7,
}

/// <summary>virDomainModificationImpact (also VIR_DOMAIN_MEM_*, VIR_DOMAIN_VCPU_*, VIR_DOMAIN_DEVICE_MODIFY_*).</summary>
[Flags]
internal enum Affect : uint
{
    Current = 0,
    Live = 1 << 0,
    Config = 1 << 1,
}

/// <summary>virDomainUndefineFlagsValues.</summary>
[Flags]
internal enum UndefineFlags : uint
{
    None = 0,
    ManagedSave = 1 << 0,
    SnapshotsMetadata = 1 << 1,
    Nvram = 1 << 2,
    CheckpointsMetadata = 1 << 4,
}

/// <summary>virDomainMigrateFlags (the ones hostd uses).</summary>
[Flags]
internal enum MigrateFlags : uint
{
    Live = 1 << 0,
    PeerToPeer = 1 << 1,
    PersistDest = 1 << 3,
    UndefineSource = 1 << 4,
    NonSharedDisk = 1 << 6,
    Unsafe = 1 << 9,
}

internal static unsafe partial class LibvirtApi
{
    /// <summary>VIR_DOMAIN_XML_INACTIVE: the persistent definition rather than the running one.</summary>
    public const uint XmlInactive = 1 << 1;
    /// <summary>VIR_DOMAIN_METADATA_ELEMENT: custom XML in the domain's metadata element.</summary>
    public const int MetadataElement = 2;
    /// <summary>VIR_DOMAIN_BLOCK_RESIZE_BYTES.</summary>
    public const uint BlockResizeBytes = 1 << 0;

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virConnectListAllDomains(ConnectionHandle conn, nint** domains, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial nint virDomainLookupByUUID(ConnectionHandle conn, byte* uuid);

    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint virDomainLookupByName(ConnectionHandle conn, string name);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainFree(nint dom);

    [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainGetUUID")]
    private static partial int virDomainGetUUIDRaw(nint dom, byte* uuid);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainGetUUID(DomainHandle dom, byte* uuid);

    [LibraryImport(Libraries.Libvirt)]
    private static partial nint virDomainGetName(DomainHandle dom);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainGetState(DomainHandle dom, int* state, int* reason, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainIsPersistent(DomainHandle dom);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainIsActive(DomainHandle dom);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainGetAutostart(DomainHandle dom, int* autostart);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainGetInfo(DomainHandle dom, VirDomainInfo* info);

    [LibraryImport(Libraries.Libvirt)]
    private static partial nint virDomainGetXMLDesc(DomainHandle dom, uint flags);

    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint virDomainDefineXML(ConnectionHandle conn, string xml);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainUndefineFlags(DomainHandle dom, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainCreate(DomainHandle dom);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainShutdown(DomainHandle dom);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainDestroy(DomainHandle dom);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainReboot(DomainHandle dom, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainSuspend(DomainHandle dom);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainResume(DomainHandle dom);

    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int virDomainMigrateToURI3(DomainHandle dom, string dconnuri, nint parameters, uint nparams, uint flags);

    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int virDomainAttachDeviceFlags(DomainHandle dom, string xml, uint flags);

    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int virDomainDetachDeviceFlags(DomainHandle dom, string xml, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainSetMemoryFlags(DomainHandle dom, CULong memory, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainSetVcpusFlags(DomainHandle dom, uint nvcpus, uint flags);

    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int virDomainBlockResize(DomainHandle dom, string disk, ulong size, uint flags);

    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int virDomainGetBlockInfo(DomainHandle dom, string disk, VirDomainBlockInfo* info, uint flags);

    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int virDomainSetMetadata(DomainHandle dom, int type, string? metadata, string? key, string? uri, uint flags);

    /// <summary>Every domain of the connection, active and inactive.</summary>
    public static List<DomainHandle> ListAllDomains(ConnectionHandle conn)
    {
        nint* array = null;
        int n = Ensure(virConnectListAllDomains(conn, &array, 0), "virConnectListAllDomains");
        return NativeArrays.Adopt(array, n, p => new DomainHandle(p, conn));
    }

    /// <summary>The domain with <paramref name="uuid"/>, or null when the connection has none.</summary>
    public static DomainHandle? LookupDomain(ConnectionHandle conn, Guid uuid)
    {
        byte* bytes = stackalloc byte[16];
        uuid.TryWriteBytes(new Span<byte>(bytes, 16), bigEndian: true, out _);
        return Found(virDomainLookupByUUID(conn, bytes), ErrorNumber.NoDomain, "virDomainLookupByUUID", p => new DomainHandle(p, conn));
    }

    /// <summary>The domain named <paramref name="name"/>, or null when the connection has none.</summary>
    public static DomainHandle? LookupDomain(ConnectionHandle conn, string name) =>
        Found(virDomainLookupByName(conn, name), ErrorNumber.NoDomain, "virDomainLookupByName", p => new DomainHandle(p, conn));

    internal static int FreeDomain(nint dom) => virDomainFree(dom);

    public static Guid GetUuid(DomainHandle dom)
    {
        byte* bytes = stackalloc byte[16];
        Ensure(virDomainGetUUID(dom, bytes), "virDomainGetUUID");
        return new Guid(new ReadOnlySpan<byte>(bytes, 16), bigEndian: true);
    }

    /// <summary>The uuid of a domain pointer libvirt lends to an event callback; null if it cannot be read.</summary>
    public static Guid? GetUuidOfBorrowed(nint dom)
    {
        byte* bytes = stackalloc byte[16];
        if (virDomainGetUUIDRaw(dom, bytes) < 0) return null;
        return new Guid(new ReadOnlySpan<byte>(bytes, 16), bigEndian: true);
    }

    public static string GetName(DomainHandle dom) => NativeStrings.Borrowed(Ensure(virDomainGetName(dom), "virDomainGetName"))!;

    public static (DomainState State, int Reason) GetState(DomainHandle dom)
    {
        int state, reason;
        Ensure(virDomainGetState(dom, &state, &reason, 0), "virDomainGetState");
        return ((DomainState)state, reason);
    }

    public static bool IsPersistent(DomainHandle dom) => Ensure(virDomainIsPersistent(dom), "virDomainIsPersistent") == 1;

    public static bool IsActive(DomainHandle dom) => Ensure(virDomainIsActive(dom), "virDomainIsActive") == 1;

    public static bool GetAutostart(DomainHandle dom)
    {
        int autostart;
        Ensure(virDomainGetAutostart(dom, &autostart), "virDomainGetAutostart");
        return autostart != 0;
    }

    public static VirDomainInfo GetInfo(DomainHandle dom)
    {
        VirDomainInfo info;
        Ensure(virDomainGetInfo(dom, &info), "virDomainGetInfo");
        return info;
    }

    public static string GetXmlDesc(DomainHandle dom, uint flags = 0) =>
        NativeStrings.Take(Ensure(virDomainGetXMLDesc(dom, flags), "virDomainGetXMLDesc"))!;

    /// <summary>virDomainGetXMLDesc as the bytes libvirt returned, to compare before parsing; dispose to free them.</summary>
    public static NativeStrings.Owned GetXmlDescUtf8(DomainHandle dom, uint flags = 0) =>
        new(Ensure(virDomainGetXMLDesc(dom, flags), "virDomainGetXMLDesc"));

    public static DomainHandle DefineDomain(ConnectionHandle conn, string xml) =>
        new(Ensure(virDomainDefineXML(conn, xml), "virDomainDefineXML"), conn);

    public static void Undefine(DomainHandle dom, UndefineFlags flags) =>
        Ensure(virDomainUndefineFlags(dom, (uint)flags), "virDomainUndefineFlags");

    public static void Create(DomainHandle dom) => Ensure(virDomainCreate(dom), "virDomainCreate");

    public static void Shutdown(DomainHandle dom) => Ensure(virDomainShutdown(dom), "virDomainShutdown");

    public static void Destroy(DomainHandle dom) => Ensure(virDomainDestroy(dom), "virDomainDestroy");

    public static void Reboot(DomainHandle dom) => Ensure(virDomainReboot(dom, 0), "virDomainReboot");

    public static void Suspend(DomainHandle dom) => Ensure(virDomainSuspend(dom), "virDomainSuspend");

    public static void Resume(DomainHandle dom) => Ensure(virDomainResume(dom), "virDomainResume");

    /// <summary>Migrates to <paramref name="destUri"/> (peer-to-peer: the source libvirtd connects there itself).</summary>
    public static void MigrateToUri(DomainHandle dom, string destUri, MigrateFlags flags) =>
        Ensure(virDomainMigrateToURI3(dom, destUri, 0, 0, (uint)flags), "virDomainMigrateToURI3");

    public static void AttachDevice(DomainHandle dom, string xml, Affect affect) =>
        Ensure(virDomainAttachDeviceFlags(dom, xml, (uint)affect), "virDomainAttachDeviceFlags");

    public static void DetachDevice(DomainHandle dom, string xml, Affect affect) =>
        Ensure(virDomainDetachDeviceFlags(dom, xml, (uint)affect), "virDomainDetachDeviceFlags");

    public static void SetMemory(DomainHandle dom, ulong kib, Affect affect) =>
        Ensure(virDomainSetMemoryFlags(dom, new CULong((nuint)kib), (uint)affect), "virDomainSetMemoryFlags");

    public static void SetVcpus(DomainHandle dom, uint count, Affect affect) =>
        Ensure(virDomainSetVcpusFlags(dom, count, (uint)affect), "virDomainSetVcpusFlags");

    public static void BlockResize(DomainHandle dom, string target, ulong bytes) =>
        Ensure(virDomainBlockResize(dom, target, bytes, BlockResizeBytes), "virDomainBlockResize");

    public static VirDomainBlockInfo GetBlockInfo(DomainHandle dom, string target)
    {
        VirDomainBlockInfo info;
        Ensure(virDomainGetBlockInfo(dom, target, &info, 0), "virDomainGetBlockInfo");
        return info;
    }

    /// <summary>Replaces the domain's metadata element in namespace <paramref name="uri"/>.</summary>
    public static void SetMetadataElement(DomainHandle dom, string xml, string key, string uri, Affect affect) =>
        Ensure(virDomainSetMetadata(dom, MetadataElement, xml, key, uri, (uint)affect), "virDomainSetMetadata");
}
