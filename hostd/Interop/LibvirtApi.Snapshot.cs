// libvirt-domain-snapshot.h: snapshots of a domain.
using System.Runtime.InteropServices;

namespace Vmm.Hostd.Interop;

internal static unsafe partial class LibvirtApi
{
    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainSnapshotNum(DomainHandle dom, uint flags);

    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint virDomainSnapshotCreateXML(DomainHandle dom, string xml, uint flags);

    [LibraryImport(Libraries.Libvirt, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint virDomainSnapshotLookupByName(DomainHandle dom, string name, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainListAllSnapshots(DomainHandle dom, nint** snapshots, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial nint virDomainSnapshotGetName(SnapshotHandle snapshot);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainRevertToSnapshot(SnapshotHandle snapshot, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainSnapshotDelete(SnapshotHandle snapshot, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virDomainSnapshotFree(nint snapshot);

    internal static int FreeSnapshot(nint snapshot) => virDomainSnapshotFree(snapshot);

    public static int CountSnapshots(DomainHandle dom) => Ensure(virDomainSnapshotNum(dom, 0), "virDomainSnapshotNum");

    public static SnapshotHandle CreateSnapshot(DomainHandle dom, string xml) =>
        new(Ensure(virDomainSnapshotCreateXML(dom, xml, 0), "virDomainSnapshotCreateXML"), dom.Connection);

    /// <summary>The domain's snapshot named <paramref name="name"/>, or null when it has none of that name.</summary>
    public static SnapshotHandle? LookupSnapshot(DomainHandle dom, string name) =>
        Found(virDomainSnapshotLookupByName(dom, name, 0), ErrorNumber.NoDomainSnapshot, "virDomainSnapshotLookupByName", p => new SnapshotHandle(p, dom.Connection));

    /// <summary>The names of every snapshot of the domain.</summary>
    public static List<string> ListSnapshotNames(DomainHandle dom)
    {
        nint* array = null;
        int n = Ensure(virDomainListAllSnapshots(dom, &array, 0), "virDomainListAllSnapshots");
        var handles = NativeArrays.Adopt(array, n, p => new SnapshotHandle(p, dom.Connection));
        var names = new List<string>(n);
        foreach (var h in handles)
        {
            using (h) names.Add(NativeStrings.Borrowed(Ensure(virDomainSnapshotGetName(h), "virDomainSnapshotGetName"))!);
        }
        return names;
    }

    public static void RevertToSnapshot(SnapshotHandle snapshot) =>
        Ensure(virDomainRevertToSnapshot(snapshot, 0), "virDomainRevertToSnapshot");

    public static void DeleteSnapshot(SnapshotHandle snapshot) =>
        Ensure(virDomainSnapshotDelete(snapshot, 0), "virDomainSnapshotDelete");
}
