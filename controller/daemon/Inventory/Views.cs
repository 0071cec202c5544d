// Immutable copies of inventory state, taken under a host's lock: what queries, watchers, placement and
// the admin socket work from, so that none of them holds a lock while it formats or writes.
using System.Net;
using System.Text;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Inventory;

/// <summary>One host at one moment.</summary>
internal sealed record HostView(
    string Name, ulong BootId, ulong Sequence, HostState State, HostFacts Facts, IPAddress? Address,
    long? AgeMs, ulong Accepted, ulong Dropped, int VmCount, uint UsedVcpus, IPEndPoint? Endpoint,
    bool Draining = false, ulong UsedMemoryKib = 0, HostStatus Status = HostStatus.None, HostUsage? Usage = null);

/// <summary>The request the controller last sent for a VM, and its outcome.</summary>
internal readonly record struct LastRequest(RequestCode Code, AckCode Ack);

/// <summary>
/// One VM at one moment: the record's bytes as its host sent them (after the length field), whether its
/// power is unknown now (its host is not up), or that it was removed (for watchers).
/// </summary>
internal sealed record VmView(string Host, byte[] Record, bool Unknown, bool Removed, long AgeMs, LastRequest? Last, UsageSnapshot? Usage = null)
{
    // The record's fields (it was checked when its STATE was parsed). Private: a record's printer would box it.
    private VmRecordView View => VmRecordView.OverChecked(Record);

    public Guid Uuid => View.Uuid;

    public string Name => Encoding.UTF8.GetString(NameUtf8);

    public ReadOnlySpan<byte> NameUtf8 => View.NameUtf8;

    /// <summary>vCPUs online, as last reported.</summary>
    public ushort Vcpus => View.Vcpus;

    /// <summary>Current memory, KiB, as last reported.</summary>
    public ulong MemoryKib => View.MemoryKib;

    /// <summary>The power state the host last reported (also while <see cref="Unknown"/>).</summary>
    public PowerState ReportedPower => View.Power;

    /// <summary>The record's flags (HA among them).</summary>
    public VmFlags Flags => View.Flags;

    /// <summary>The id of the last request hostd finished for this VM (<c>last-request</c>, spec §6.2), or 0.</summary>
    public ulong LastRequestId
    {
        get
        {
            var reader = View.Attributes;
            while (reader.MoveNext())
                if (reader.Type == AttrType.LastRequest) return reader.Number;
            return 0;
        }
    }

    /// <summary>The record as a VM PDU shows it (spec §7.5): power unknown while the host is not up, a
    /// tombstone once removed.</summary>
    public VmState ToState()
    {
        var state = VmState.From(View);
        if (Removed) return VmState.TombstoneFor(state.Uuid, state.Name);
        return Unknown ? state with { Power = PowerState.Unknown, Reason = 0 } : state;
    }
}

/// <summary>Something the inventory changed, as watchers see it.</summary>
internal abstract record InventoryChange(string Host);

/// <summary>A host's state changed (its VMs follow as <see cref="VmChange"/>s), or, with <paramref name="Note"/>, the
/// controller decided something about it (HA, spec §15).</summary>
internal sealed record HostChange(HostView View, string? Note = null) : InventoryChange(View.Name);

/// <summary>A VM was added, changed, removed, or turned unknown or known again; or, with <paramref name="Note"/>, the
/// controller decided something about it (HA, spec §15).</summary>
internal sealed record VmChange(VmView View, string? Note = null) : InventoryChange(View.Host);
