namespace Vmm.Protocol;

// Registries of one-byte codes (spec §8). Numbers are wire values: never renumber, only add.

/// <summary>Request codes (spec §8.1).</summary>
public enum RequestCode : byte
{
    Add = 1, Remove = 2, Start = 3, Stop = 4, Restart = 5, Pause = 6, Resume = 7, Migrate = 8, Delete = 9,
    AddNic = 10, RemoveNic = 11, UpdateMemory = 12, AddCpu = 13, RemoveCpu = 14, UpdateDisk = 15, Snapshot = 16,
    Ping = 17,
    /// <summary>Sets or clears the host's draining mark (spec §8.1); hostd keeps it across restarts.</summary>
    Drain = 18,
    /// <summary>Renews the host's lease (spec §15): the holder's renewals keep its HA VMs running.</summary>
    Lease = 19,
    /// <summary>Marks a VM HA or not (spec §8.1): kept in its definition on its host.</summary>
    SetHa = 20,
}

/// <summary>Ack and admin result codes (spec §8.2). 0-4 and 6 (not-found) come from hosts too; 5 and 7 only from the controller.</summary>
public enum AckCode : byte
{
    Success = 0, Failure = 1, Unsupported = 2, UnknownRequest = 3, Busy = 4,
    Timeout = 5, NotFound = 6, Unavailable = 7,
}

/// <summary>Power states (spec §8.3): libvirt's virDomainState numbering, with crashed covering both of libvirt's ways to say it.</summary>
public enum PowerState : byte
{
    Unknown = 0, Running = 1, Blocked = 2, Paused = 3, ShuttingDown = 4, Off = 5, Crashed = 6, Suspended = 7,
}

/// <summary>VM record flags (spec §6.2).</summary>
[Flags]
public enum VmFlags : byte
{
    None = 0,
    /// <summary>The VM no longer exists on this host; the record carries only uuid and name.</summary>
    Tombstone = 0x01,
    /// <summary>The VM has a persistent definition (it survives being stopped).</summary>
    Persistent = 0x02,
    /// <summary>libvirt starts the VM when the host boots.</summary>
    Autostart = 0x04,
    /// <summary>The record would not fit a datagram: disks and NICs past what fit were left out (spec §6.5).</summary>
    Truncated = 0x08,
    /// <summary>The VM is HA: restarted on another host when its host is down and its lease lapsed (spec §15).</summary>
    Ha = 0x10,
}

/// <summary>Host status bits of a STATE PDU (spec §6.1).</summary>
[Flags]
public enum HostStatus : byte
{
    None = 0,
    /// <summary>hostd cannot reach its hypervisor; VM records are absent and the VMs' state is unknown.</summary>
    Unreachable = 0x01,
    /// <summary>hostd is stopping: this is its last datagram of this boot.</summary>
    Stopping = 0x02,
    /// <summary>The host is marked draining (spec §6.1): placement skips it and its VMs are being moved away.</summary>
    Draining = 0x04,
    /// <summary>hostd's lease lapsed and it fenced its HA VMs (spec §15); cleared by the next renewal it grants.</summary>
    Fenced = 0x08,
}

/// <summary>Request flags (spec §7.1).</summary>
[Flags]
public enum RequestFlags : byte
{
    None = 0,
    /// <summary>stop: destroy the VM if the graceful shutdown has not finished by the timeout; remove and delete:
    /// power a running or paused VM off first (without it they are refused for such a VM).</summary>
    Force = 0x01,
}

/// <summary>Ack flags (spec §7.2).</summary>
[Flags]
public enum AckFlags : byte
{
    None = 0,
    /// <summary>This ack answers a retransmission from the request-id cache; nothing was done again.</summary>
    Replayed = 0x01,
    /// <summary>A success that changed nothing: the VM was already as the request asked (start of a running VM, ...).</summary>
    Unchanged = 0x02,
}

/// <summary>Disk bus (spec §8.5).</summary>
public enum DiskBus : byte { Default = 0, Virtio = 1, Scsi = 2, Sata = 3, Ide = 4, Usb = 5 }

/// <summary>Disk flags of a disk state (spec §8.5).</summary>
[Flags]
public enum DiskFlags : byte
{
    None = 0,
    ReadOnly = 0x01,
    Cdrom = 0x02,
    /// <summary>The volume was created by Vmm and is removed by delete.</summary>
    Owned = 0x04,
}

/// <summary>NIC model (spec §8.6).</summary>
public enum NicModel : byte { Default = 0, Virtio = 1, E1000 = 2, Rtl8139 = 3, E1000e = 4 }

/// <summary>What a NIC is attached to (spec §8.6).</summary>
public enum NicKind : byte { Other = 0, Network = 1, Bridge = 2, User = 3, Direct = 4 }

/// <summary>Snapshot operations (spec §8.7).</summary>
public enum SnapshotOp : byte { Create = 0, Revert = 1, Delete = 2, List = 3 }

/// <summary>Disk operations of update-disk (spec §8.7).</summary>
public enum DiskOp : byte { Attach = 0, Detach = 1, Resize = 2 }

/// <summary>What an admin query asks for (spec §7.4).</summary>
public enum QueryKind : byte { Hosts = 1, Vms = 2, Watch = 3, ForgetHost = 4, Drain = 5, Undrain = 6, Events = 7 }

/// <summary>What one event of the controller's history records (spec §7.7).</summary>
public enum EventKind : byte
{
    /// <summary>A host changed state (host-state), or its draining mark changed.</summary>
    Host = 1,
    /// <summary>A VM appeared or its record changed (last-power: its power state now).</summary>
    Vm = 2,
    /// <summary>A VM left its host's inventory.</summary>
    VmRemoved = 3,
    /// <summary>A request: its code (last-code), outcome (last-ack), duration and origin (uid).</summary>
    Request = 4,
    /// <summary>A decision of the controller (HA, drain) or an operator's action on the controller alone, with its note.</summary>
    Decision = 5,
}

/// <summary>A host's status in the controller's inventory (spec §7.5).</summary>
public enum HostState : byte { Unknown = 0, Up = 1, Down = 2, Unreachable = 3, Stopped = 4 }

/// <summary>What became of one VM of a drain (spec §7.4, §8.9): the drain-outcome attribute of its VM PDU.</summary>
public enum DrainOutcome : byte
{
    /// <summary>A live migration to dest-host has started.</summary>
    Moving = 0,
    /// <summary>It runs on dest-host now.</summary>
    Moved = 1,
    /// <summary>Not moved: it is not running (off, crashed, ...); it stays defined on the host, as it is.</summary>
    NotRunning = 2,
    /// <summary>Not moved: no other host up, not draining, has room for it.</summary>
    NoRoom = 3,
    /// <summary>Not moved: the migration failed (message says why); it still runs on the host.</summary>
    Failed = 4,
    /// <summary>Not moved: the host was undrained before its turn.</summary>
    Undrained = 5,
    /// <summary>Not moved: it left the host (or its state became unknown) during the drain, by other means.</summary>
    Gone = 6,
}
