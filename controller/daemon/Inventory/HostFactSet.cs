// The facts a host reports (spec §6.1, attributes 0x01-0x07), each overriding the one held. Numbers are
// kept as numbers and text as its UTF-8 bytes, replaced only when it changes: applying the facts of a
// heartbeat allocates nothing.
using System.Text;
using Vmm.Protocol;

namespace Vmm.Controller.Inventory;

/// <summary>A host's facts as last reported. Guarded by its host's lock.</summary>
internal sealed class HostFactSet
{
    private byte[]? _migrationUri;
    private byte[]? _hypervisor;

    public uint? Cpus { get; private set; }
    public ulong? MemoryTotalKib { get; private set; }
    public ulong? MemoryFreeKib { get; private set; }
    public ushort? Port { get; private set; }
    public uint? VmCount { get; private set; }
    public string? MigrationUri => _migrationUri is null ? null : Encoding.UTF8.GetString(_migrationUri);
    public string? Hypervisor => _hypervisor is null ? null : Encoding.UTF8.GetString(_hypervisor);

    /// <summary>Takes every fact present in <paramref name="facts"/>; others keep their value. Unknown
    /// non-critical attributes are skipped (a critical one never gets here: the datagram was refused).</summary>
    public void Apply(AttrReader facts)
    {
        while (facts.MoveNext())
        {
            switch (facts.Type)
            {
                case AttrType.Cpus: Cpus = (uint)facts.Number; break;
                case AttrType.MemoryTotal: MemoryTotalKib = facts.Number; break;
                case AttrType.MemoryFree: MemoryFreeKib = facts.Number; break;
                case AttrType.Port: Port = (ushort)facts.Number; break;
                case AttrType.VmCount: VmCount = (uint)facts.Number; break;
                case AttrType.MigrationUri: Replace(ref _migrationUri, facts.Value); break;
                case AttrType.Hypervisor: Replace(ref _hypervisor, facts.Value); break;
            }
        }
    }

    public HostFacts Snapshot() => new(Cpus, MemoryTotalKib, MemoryFreeKib, Port, MigrationUri, Hypervisor, VmCount);

    private static void Replace(ref byte[]? held, ReadOnlySpan<byte> value)
    {
        if (held is not null && value.SequenceEqual(held)) return;
        held = value.ToArray();
    }
}

/// <summary>A copy of a host's facts; null where the host never reported the fact.</summary>
internal sealed record HostFacts(uint? Cpus, ulong? MemoryTotalKib, ulong? MemoryFreeKib, ushort? Port, string? MigrationUri, string? Hypervisor, uint? VmCount)
{
    public static HostFacts None { get; } = new(null, null, null, null, null, null, null);

    /// <summary>The facts as HOST attributes (spec §7.5).</summary>
    public void AddTo(AttrList list)
    {
        if (Cpus is { } cpus) list.Add(AttrType.Cpus, cpus);
        if (MemoryTotalKib is { } total) list.Add(AttrType.MemoryTotal, total);
        if (MemoryFreeKib is { } free) list.Add(AttrType.MemoryFree, free);
        if (Port is { } port) list.Add(AttrType.Port, port);
        if (MigrationUri is { } uri) list.Add(AttrType.MigrationUri, uri);
        if (Hypervisor is { } hv) list.Add(AttrType.Hypervisor, hv);
        if (VmCount is { } count) list.Add(AttrType.VmCount, count);
    }
}
