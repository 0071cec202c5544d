// One VM as a host reported it: the record's raw bytes, kept as received. An unchanged record (the usual
// heartbeat) costs a comparison and no allocation; a changed one of the same size is overwritten in place.
// Decoding to VmState happens only when someone asks (a query, a watch).
using System.Text;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Inventory;

/// <summary>The newest record of one VM on one host. Guarded by its host's lock.</summary>
internal sealed class VmEntry(Guid uuid)
{
    private byte[] _record = [];
    private string? _name;

    public Guid Uuid { get; } = uuid;

    /// <summary>Bytes of the record after its length field.</summary>
    public ReadOnlySpan<byte> Record => _record.AsSpan(0, Length);

    public int Length { get; private set; }

    /// <summary>Sequence of the datagram that carried the newest record; 0 when it came from a previous boot,
    /// so that any report of the current boot is newer (spec §6.5's removal rule).</summary>
    public ulong Sequence { get; set; }

    /// <summary>The report of the current boot whose page last carried this VM; 0 for none.</summary>
    public uint SeenInReport { get; set; }

    /// <summary>Monotonic ms when the record was last received.</summary>
    public long UpdatedMs { get; set; }

    /// <summary>The VM's two newest usage samples (spec §16); null until its first.</summary>
    public UsageHistory? Usage { get; set; }

    /// <summary>The record's fields (it was checked when its STATE was parsed).</summary>
    public VmRecordView View => VmRecordView.OverChecked(Record);

    public PowerState Power => View.Power;

    public VmFlags Flags => View.Flags;

    public ushort Vcpus => View.Vcpus;

    public ulong MemoryKib => View.MemoryKib;

    public ReadOnlySpan<byte> NameUtf8 => View.NameUtf8;

    /// <summary>The VM's name, made once and kept until the name changes: the event history records it with
    /// every change of the VM at no allocation.</summary>
    public string Name => _name ??= Encoding.UTF8.GetString(NameUtf8);

    /// <summary>Whether the VM holds its host's CPUs now (placement counts them as used).</summary>
    public bool UsesCpus => Power is PowerState.Running or PowerState.Blocked or PowerState.Paused or PowerState.ShuttingDown or PowerState.Unknown;

    /// <summary>Takes <paramref name="record"/> as the VM's state; true when it differs from the one held.</summary>
    public bool Set(ReadOnlySpan<byte> record)
    {
        if (record.SequenceEqual(Record)) return false;
        if (_name is not null && !VmRecordView.OverChecked(record).NameUtf8.SequenceEqual(NameUtf8)) _name = null;
        // Reuse the buffer unless it is too small, or much larger than needed (a VM that lost its disks).
        if (_record.Length < record.Length || _record.Length > record.Length + 64) _record = new byte[record.Length];
        record.CopyTo(_record);
        Length = record.Length;
        return true;
    }
}
