// libvirt-domain.h: the bulk statistics of every domain in one call (virConnectGetAllDomainStats), read for usage
// (spec §16). The records and their typed parameters are libvirt's, freed in one call after they have been read.
using System.Runtime.InteropServices;

namespace Vmm.Hostd.Interop;

/// <summary>struct _virTypedParameter (libvirt-common.h), LP64 layout: field[80], type, then an 8-byte union: 96 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 96)]
internal unsafe struct VirTypedParameter
{
    public const int FieldLength = 80;
    public const int Int = 1, UInt = 2, LLong = 3, ULLong = 4, Double = 5, Boolean = 6, String = 7;

    [FieldOffset(0)] public fixed byte Field[FieldLength];
    [FieldOffset(80)] public int Type;
    [FieldOffset(88)] public ulong Value;   // the union's bytes; read by Type

    /// <summary>The value as an unsigned count, for the integer types; null for any other.</summary>
    public readonly ulong? Count => Type switch
    {
        Int => (int)(uint)Value < 0 ? 0 : Value & 0xFFFF_FFFFUL,
        LLong => (long)Value < 0 ? 0 : Value,
        UInt => Value & 0xFFFF_FFFFUL,
        ULLong => Value,
        _ => null,
    };
}

/// <summary>struct _virDomainStatsRecord: dom, params, nparams (24 bytes, LP64).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VirDomainStatsRecord
{
    public nint Dom;
    public VirTypedParameter* Params;
    public int NParams;
}

/// <summary>Takes the records of <see cref="LibvirtApi.GetAllDomainStats"/>, one at a time, while libvirt owns them.</summary>
internal unsafe interface IStatsSink
{
    void Add(VirDomainStatsRecord* record);
}

internal static unsafe partial class LibvirtApi
{
    /// <summary>virDomainStatsTypes: what virConnectGetAllDomainStats is asked for.</summary>
    public const uint StatsCpuTotal = 2, StatsBalloon = 4, StatsInterface = 16, StatsBlock = 32;

    /// <summary>VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE: running domains only (an off VM uses nothing).</summary>
    public const uint StatsActiveOnly = 1;

    [LibraryImport(Libraries.Libvirt)]
    private static partial int virConnectGetAllDomainStats(ConnectionHandle conn, uint stats, VirDomainStatsRecord*** retStats, uint flags);

    [LibraryImport(Libraries.Libvirt)]
    private static partial void virDomainStatsRecordListFree(VirDomainStatsRecord** stats);

    [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainGetInfo")]
    private static partial int virDomainGetInfoRaw(nint dom, VirDomainInfo* info);

    /// <summary>
    /// Statistics of every running domain: <paramref name="sink"/> sees each record (libvirt's memory, valid only
    /// during the call), then the list is freed. Returns the number of records.
    /// </summary>
    public static int GetAllDomainStats(ConnectionHandle conn, uint stats, IStatsSink sink)
    {
        VirDomainStatsRecord** list;
        int n = Ensure(virConnectGetAllDomainStats(conn, stats, &list, StatsActiveOnly), "virConnectGetAllDomainStats");
        try
        {
            for (int i = 0; i < n; i++) sink.Add(list[i]);
        }
        finally
        {
            virDomainStatsRecordListFree(list);
        }
        return n;
    }

    /// <summary>virDomainGetInfo of a domain pointer libvirt lends (a stats record's); null if it fails.</summary>
    public static VirDomainInfo? GetInfoOfBorrowed(nint dom)
    {
        VirDomainInfo info;
        return virDomainGetInfoRaw(dom, &info) < 0 ? null : info;
    }
}
