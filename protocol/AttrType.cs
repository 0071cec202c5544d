using Vmm.Protocol.Pdus;

namespace Vmm.Protocol;

/// <summary>
/// Attribute types (spec §5, "Attribute registry"). The wire type byte is this value, with bit 7 set by the
/// sender when the receiver must not ignore the attribute (the critical bit). Numbers are wire values.
/// </summary>
public enum AttrType : byte
{
    // Host facts (STATE, admin HOST).
    Cpus = 0x01, MemoryTotal = 0x02, MemoryFree = 0x03, Port = 0x04, MigrationUri = 0x05, Hypervisor = 0x06, VmCount = 0x07,

    // VM record (STATE, admin VM).
    Disk = 0x10, Nic = 0x11, MaxVcpus = 0x12, MaxMemory = 0x13, Snapshots = 0x14, LastRequest = 0x15,

    // Request parameters and results.
    Name = 0x20, Vcpus = 0x21, Memory = 0x22, DiskSpec = 0x23, NicSpec = 0x24, TimeoutMs = 0x25, DestUri = 0x26,
    SnapshotName = 0x27, SnapshotOp = 0x28, DiskOp = 0x29, Count = 0x2A, Target = 0x2B, Size = 0x2C, Mac = 0x2D,
    BaseImage = 0x2E, Bus = 0x2F, Network = 0x30, Bridge = 0x31, Model = 0x32,

    // Ack, result and error.
    ErrorCode = 0x40, Message = 0x41, DurationUs = 0x42, Version = 0x43, State = 0x44,

    // Admin.
    Host = 0x50, Ref = 0x51, DestHost = 0x52, AgeMs = 0x53, Address = 0x54, LastAck = 0x55, LastCode = 0x56,
    LastPower = 0x57, Accepted = 0x58, Dropped = 0x59, RequestId = 0x5A, AckFlags = 0x5B,

    // Maintenance (drain).
    Draining = 0x60, Parallel = 0x61, DrainOutcome = 0x62,
    // Leases, fencing and HA restart (spec §15).
    Controller = 0x64, LeaseToken = 0x65, FenceAfterMs = 0x66, Ha = 0x67, Volume = 0x68, HostStatus = 0x69, Note = 0x6A,
    // The event history (spec §7.7).
    SinceMs = 0x6B, AfterEvent = 0x6C, Follow = 0x6D, Uid = 0x6E, HostState = 0x6F,
    // Usage (spec §16): monotonic counters of one VM, and the change of them between two samples.
    CpuTimeNs = 0x70, MemUsed = 0x71, MemBalloon = 0x72, DiskReadBytes = 0x73, DiskWriteBytes = 0x74, DiskReads = 0x75,
    DiskWrites = 0x76, NetRxBytes = 0x77, NetTxBytes = 0x78, NetRxPackets = 0x79, NetTxPackets = 0x7A, UsageDelta = 0x7B,
}

/// <summary>How an attribute's value is laid out (spec §5.2).</summary>
public enum AttrKind : byte
{
    /// <summary>Unsigned integers of exactly 1, 2, 4 or 8 bytes, big-endian.</summary>
    U8, U16, U32, U64,
    /// <summary>A 6-byte IEEE MAC address.</summary>
    Mac,
    /// <summary>UTF-8 text without control characters, 1 to MaxLength bytes.</summary>
    Text,
    /// <summary>A name: 1 to 64 bytes of [A-Za-z0-9._-], starting with a letter or digit.</summary>
    Name,
    /// <summary>An attribute list (spec §5.1), whose own attributes follow the same rules.</summary>
    Nested,
    /// <summary>A disk as a VM record reports it (spec §6.3).</summary>
    DiskState,
    /// <summary>A NIC as a VM record reports it (spec §6.4).</summary>
    NicState,
    /// <summary>Bytes of an attribute the receiver does not know.</summary>
    Opaque,
    /// <summary>1 to MaxLength bytes whose layout the attribute's meaning gives (state: one STATE PDU).</summary>
    Bytes,
}

/// <summary>One row of the attribute registry.</summary>
/// <param name="Type">Wire type (without the critical bit).</param>
/// <param name="Name">Text-form name.</param>
/// <param name="Kind">Value layout.</param>
/// <param name="Repeatable">Whether the attribute may occur more than once in one list.</param>
/// <param name="MaxLength">Largest value in bytes for variable-length kinds.</param>
public sealed record AttrDef(AttrType Type, string Name, AttrKind Kind, bool Repeatable = false, int MaxLength = 0);

/// <summary>The attribute registry, as code. spec §5.3 is the same table for people.</summary>
public static class AttrRegistry
{
    /// <summary>Bit 7 of the type byte: the receiver must understand the attribute or reject the PDU.</summary>
    public const byte CriticalBit = 0x80;

    /// <summary>The longest <c>message</c> in bytes (spec §5.3): one line for a person in an ACK, RESULT or ERROR.</summary>
    public const int MaxMessageBytes = 1024;

    private static readonly AttrDef?[] Defs = Build();

    /// <summary>All registered attributes in type order.</summary>
    public static IEnumerable<AttrDef> All => Defs.Where(d => d is not null)!;

    /// <summary>The definition of <paramref name="type"/> (critical bit ignored), or null when unknown.</summary>
    public static AttrDef? Find(byte type) => Defs[type & 0x7F];

    /// <summary>The definition whose text name is <paramref name="name"/>, or null.</summary>
    public static AttrDef? Find(string name)
    {
        foreach (var d in Defs)
            if (d is not null && d.Name == name) return d;
        return null;
    }

    /// <summary>
    /// <paramref name="text"/> cut to the registry's limit for the text attribute <paramref name="type"/>, at a
    /// character boundary: what a sender does with longer text (spec §5.3).
    /// </summary>
    public static string Cut(AttrType type, string text) =>
        Find((byte)type) is { Kind: AttrKind.Text, MaxLength: var max }
            ? ErrorPdu.Truncate(Validation.OneLine(text), max)
            : throw new ArgumentException($"{type} is not a text attribute", nameof(type));

    private static AttrDef?[] Build()
    {
        var rows = new AttrDef[]
        {
            new(AttrType.Cpus, "cpus", AttrKind.U32),
            new(AttrType.MemoryTotal, "memory-total", AttrKind.U64),
            new(AttrType.MemoryFree, "memory-free", AttrKind.U64),
            new(AttrType.Port, "port", AttrKind.U16),
            new(AttrType.MigrationUri, "migration-uri", AttrKind.Text, MaxLength: 1024),
            new(AttrType.Hypervisor, "hypervisor", AttrKind.Text, MaxLength: 255),
            new(AttrType.VmCount, "vm-count", AttrKind.U32),
            new(AttrType.Disk, "disk", AttrKind.DiskState, Repeatable: true, MaxLength: 10 + 32),
            new(AttrType.Nic, "nic", AttrKind.NicState, Repeatable: true, MaxLength: 8 + 255),
            new(AttrType.MaxVcpus, "max-vcpus", AttrKind.U16),
            new(AttrType.MaxMemory, "max-memory", AttrKind.U64),
            new(AttrType.Snapshots, "snapshots", AttrKind.U16),
            new(AttrType.LastRequest, "last-request", AttrKind.U64),
            new(AttrType.Name, "name", AttrKind.Name, MaxLength: 64),
            new(AttrType.Vcpus, "vcpus", AttrKind.U16),
            new(AttrType.Memory, "memory", AttrKind.U64),
            new(AttrType.DiskSpec, "disk-spec", AttrKind.Nested, Repeatable: true, MaxLength: 4096),
            new(AttrType.NicSpec, "nic-spec", AttrKind.Nested, Repeatable: true, MaxLength: 4096),
            new(AttrType.TimeoutMs, "timeout-ms", AttrKind.U32),
            new(AttrType.DestUri, "dest-uri", AttrKind.Text, MaxLength: 1024),
            new(AttrType.SnapshotName, "snapshot-name", AttrKind.Name, Repeatable: true, MaxLength: 64),
            new(AttrType.SnapshotOp, "snapshot-op", AttrKind.U8),
            new(AttrType.DiskOp, "disk-op", AttrKind.U8),
            new(AttrType.Count, "count", AttrKind.U16),
            new(AttrType.Target, "target", AttrKind.Name, MaxLength: 32),
            new(AttrType.Size, "size", AttrKind.U64),
            new(AttrType.Mac, "mac", AttrKind.Mac),
            new(AttrType.BaseImage, "base-image", AttrKind.Text, MaxLength: 1024),
            new(AttrType.Bus, "bus", AttrKind.U8),
            new(AttrType.Network, "network", AttrKind.Name, MaxLength: 64),
            new(AttrType.Bridge, "bridge", AttrKind.Name, MaxLength: 15),
            new(AttrType.Model, "model", AttrKind.U8),
            new(AttrType.ErrorCode, "error-code", AttrKind.U32),
            new(AttrType.Message, "message", AttrKind.Text, MaxLength: MaxMessageBytes),
            new(AttrType.DurationUs, "duration-us", AttrKind.U64),
            new(AttrType.Version, "version", AttrKind.U8),
            new(AttrType.State, "state", AttrKind.Bytes, MaxLength: PduHeader.MaxDatagram),
            new(AttrType.Host, "host", AttrKind.Name, MaxLength: 64),
            new(AttrType.Ref, "ref", AttrKind.Text, MaxLength: 255),
            new(AttrType.DestHost, "dest-host", AttrKind.Name, MaxLength: 64),
            new(AttrType.AgeMs, "age-ms", AttrKind.U32),
            new(AttrType.Address, "address", AttrKind.Text, MaxLength: 64),
            new(AttrType.LastAck, "last-ack", AttrKind.U8),
            new(AttrType.LastCode, "last-code", AttrKind.U8),
            new(AttrType.LastPower, "last-power", AttrKind.U8),
            new(AttrType.Accepted, "accepted", AttrKind.U64),
            new(AttrType.Dropped, "dropped", AttrKind.U64),
            new(AttrType.RequestId, "request-id", AttrKind.U64),
            new(AttrType.AckFlags, "ack-flags", AttrKind.U8),
            new(AttrType.Draining, "draining", AttrKind.U8),
            new(AttrType.Parallel, "parallel", AttrKind.U16),
            new(AttrType.DrainOutcome, "drain-outcome", AttrKind.U8),
            new(AttrType.Controller, "controller", AttrKind.Name, MaxLength: 64),
            new(AttrType.LeaseToken, "lease-token", AttrKind.U64),
            new(AttrType.FenceAfterMs, "fence-after-ms", AttrKind.U32),
            new(AttrType.Ha, "ha", AttrKind.U8),
            new(AttrType.Volume, "volume", AttrKind.Text, MaxLength: 255),
            new(AttrType.HostStatus, "host-status", AttrKind.U8),
            new(AttrType.Note, "note", AttrKind.Text, MaxLength: MaxMessageBytes),
            new(AttrType.SinceMs, "since-ms", AttrKind.U64),
            new(AttrType.AfterEvent, "after-event", AttrKind.U64),
            new(AttrType.Follow, "follow", AttrKind.U8),
            new(AttrType.Uid, "uid", AttrKind.U32),
            new(AttrType.HostState, "host-state", AttrKind.U8),
            new(AttrType.CpuTimeNs, "cpu-time-ns", AttrKind.U64),
            new(AttrType.MemUsed, "mem-used", AttrKind.U64),
            new(AttrType.MemBalloon, "mem-balloon", AttrKind.U64),
            new(AttrType.DiskReadBytes, "disk-read-bytes", AttrKind.U64),
            new(AttrType.DiskWriteBytes, "disk-write-bytes", AttrKind.U64),
            new(AttrType.DiskReads, "disk-reads", AttrKind.U64),
            new(AttrType.DiskWrites, "disk-writes", AttrKind.U64),
            new(AttrType.NetRxBytes, "net-rx-bytes", AttrKind.U64),
            new(AttrType.NetTxBytes, "net-tx-bytes", AttrKind.U64),
            new(AttrType.NetRxPackets, "net-rx-packets", AttrKind.U64),
            new(AttrType.NetTxPackets, "net-tx-packets", AttrKind.U64),
            new(AttrType.UsageDelta, "usage-delta", AttrKind.Nested, MaxLength: 255),
        };
        var table = new AttrDef?[128];
        foreach (var r in rows) table[(byte)r.Type] = r;
        return table;
    }
}
