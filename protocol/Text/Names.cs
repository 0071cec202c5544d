using System.Globalization;

namespace Vmm.Protocol.Text;

/// <summary>
/// Registry names of every enumerated wire value (spec §8), used by the text form, logs and vmmctl.
/// A value without a name prints as its decimal number, and parses back from it.
/// </summary>
public static class Names
{
    private static readonly string[] Requests =
        ["", "add", "remove", "start", "stop", "restart", "pause", "resume", "migrate", "delete", "add-nic", "remove-nic",
         "update-memory", "add-cpu", "remove-cpu", "update-disk", "snapshot", "ping", "drain", "lease", "set-ha"];
    private static readonly string[] Acks = ["success", "failure", "unsupported", "unknown-request", "busy", "timeout", "not-found", "unavailable"];
    private static readonly string[] Powers = ["unknown", "running", "blocked", "paused", "shutting-down", "off", "crashed", "suspended"];
    private static readonly string[][] Reasons =
    [
        ["unknown"],
        ["unknown", "booted", "migrated", "restored", "from-snapshot", "unpaused", "migration-canceled", "save-canceled", "wakeup", "crashed", "postcopy", "postcopy-failed"],
        ["unknown"],
        ["unknown", "user", "migration", "save", "dump", "ioerror", "watchdog", "from-snapshot", "shutting-down", "snapshot", "crashed", "starting-up", "postcopy", "postcopy-failed", "api-error"],
        ["unknown", "user"],
        ["unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from-snapshot", "daemon"],
        ["unknown", "panicked", "killed"],
        ["unknown"],
    ];
    private static readonly string[] Buses = ["default", "virtio", "scsi", "sata", "ide", "usb"];
    private static readonly string[] Models = ["default", "virtio", "e1000", "rtl8139", "e1000e"];
    private static readonly string[] Kinds = ["other", "network", "bridge", "user", "direct"];
    private static readonly string[] SnapshotOps = ["create", "revert", "delete", "list"];
    private static readonly string[] DiskOps = ["attach", "detach", "resize"];
    private static readonly string[] Queries = ["", "hosts", "vms", "watch", "forget-host", "drain", "undrain", "events"];
    private static readonly string[] EventKinds = ["", "host", "vm", "vm-removed", "request", "decision"];
    private static readonly string[] HostStates = ["unknown", "up", "down", "unreachable", "stopped"];
    private static readonly string[] VmFlagBits = ["tombstone", "persistent", "autostart", "truncated", "ha"];
    private static readonly string[] HostStatusBits = ["unreachable", "stopping", "draining", "fenced"];
    private static readonly string[] DrainOutcomes = ["moving", "moved", "not-running", "no-room", "failed", "undrained", "gone"];
    private static readonly string[] DiskFlagBits = ["readonly", "cdrom", "owned"];
    private static readonly string[] ForceBit = ["force"];
    private static readonly string[] AckFlagBits = ["replayed", "unchanged"];

    /// <summary>Name of a request code.</summary>
    public static string Of(RequestCode v) => Get(Requests, (byte)v);
    /// <summary>Name of an ack code.</summary>
    public static string Of(AckCode v) => Get(Acks, (byte)v);
    /// <summary>Name of a power state.</summary>
    public static string Of(PowerState v) => Get(Powers, (byte)v);
    /// <summary>Name of a reason under a power state.</summary>
    public static string Reason(PowerState p, byte reason) => (byte)p < Reasons.Length ? Get(Reasons[(byte)p], reason) : Num(reason);
    /// <summary>Name of a disk bus.</summary>
    public static string Of(DiskBus v) => Get(Buses, (byte)v);
    /// <summary>Name of a NIC model.</summary>
    public static string Of(NicModel v) => Get(Models, (byte)v);
    /// <summary>Name of a NIC kind.</summary>
    public static string Of(NicKind v) => Get(Kinds, (byte)v);
    /// <summary>Name of a query kind.</summary>
    public static string Of(QueryKind v) => Get(Queries, (byte)v);
    /// <summary>Name of a host state.</summary>
    public static string Of(HostState v) => Get(HostStates, (byte)v);
    /// <summary>Name of an event kind.</summary>
    public static string Of(EventKind v) => Get(EventKinds, (byte)v);
    /// <summary>Names of VM flags, comma-separated.</summary>
    public static string Of(VmFlags v) => Bits(VmFlagBits, (byte)v);
    /// <summary>Name of a drain outcome.</summary>
    public static string Of(DrainOutcome v) => Get(DrainOutcomes, (byte)v);
    /// <summary>Names of host status bits.</summary>
    public static string Of(HostStatus v) => Bits(HostStatusBits, (byte)v);
    /// <summary>Names of disk flags.</summary>
    public static string Of(DiskFlags v) => Bits(DiskFlagBits, (byte)v);
    /// <summary>Names of request flags.</summary>
    public static string Of(RequestFlags v) => Bits(ForceBit, (byte)v);
    /// <summary>Names of ack flags.</summary>
    public static string Of(AckFlags v) => Bits(AckFlagBits, (byte)v);

    /// <summary>Parses a request code name or number.</summary>
    public static bool TryParse(string s, out RequestCode v) => Try(Requests, s, out v);
    /// <summary>Parses an ack code name or number.</summary>
    public static bool TryParse(string s, out AckCode v) => Try(Acks, s, out v);
    /// <summary>Parses a power state name or number.</summary>
    public static bool TryParse(string s, out PowerState v) => Try(Powers, s, out v);
    /// <summary>Parses a reason name (under <paramref name="p"/>) or number.</summary>
    public static bool TryParseReason(PowerState p, string s, out byte v) =>
        TryIndex((byte)p < Reasons.Length ? Reasons[(byte)p] : [], s, out v);
    /// <summary>Parses a disk bus.</summary>
    public static bool TryParse(string s, out DiskBus v) => Try(Buses, s, out v);
    /// <summary>Parses a NIC model.</summary>
    public static bool TryParse(string s, out NicModel v) => Try(Models, s, out v);
    /// <summary>Parses a NIC kind.</summary>
    public static bool TryParse(string s, out NicKind v) => Try(Kinds, s, out v);
    /// <summary>Parses a query kind.</summary>
    public static bool TryParse(string s, out QueryKind v) => Try(Queries, s, out v);
    /// <summary>Parses a host state.</summary>
    public static bool TryParse(string s, out HostState v) => Try(HostStates, s, out v);
    /// <summary>Parses an event kind.</summary>
    public static bool TryParse(string s, out EventKind v) => Try(EventKinds, s, out v);
    /// <summary>Parses VM flags.</summary>
    public static bool TryParse(string s, out VmFlags v) => TryBits(VmFlagBits, s, out v);
    /// <summary>Parses host status bits.</summary>
    public static bool TryParse(string s, out HostStatus v) => TryBits(HostStatusBits, s, out v);
    /// <summary>Parses disk flags.</summary>
    public static bool TryParse(string s, out DiskFlags v) => TryBits(DiskFlagBits, s, out v);
    /// <summary>Parses request flags.</summary>
    public static bool TryParse(string s, out RequestFlags v) => TryBits(ForceBit, s, out v);
    /// <summary>Parses ack flags.</summary>
    public static bool TryParse(string s, out AckFlags v) => TryBits(AckFlagBits, s, out v);

    /// <summary>The name table for the value of an enumerated attribute, or null for a plain number.</summary>
    internal static string[]? ForAttr(AttrType t) => t switch
    {
        AttrType.SnapshotOp => SnapshotOps,
        AttrType.DiskOp => DiskOps,
        AttrType.Bus => Buses,
        AttrType.Model => Models,
        AttrType.LastAck => Acks,
        AttrType.LastCode => Requests,
        AttrType.LastPower => Powers,
        AttrType.DrainOutcome => DrainOutcomes,
        AttrType.HostState => HostStates,
        _ => null,
    };

    /// <summary>The bit names of a flag-set attribute (ack-flags), or null when the attribute is not one.</summary>
    internal static string[]? BitsForAttr(AttrType t) => t switch
    {
        AttrType.AckFlags => AckFlagBits,
        AttrType.HostStatus => HostStatusBits,
        _ => null,
    };

    /// <summary>A flag-set attribute's value as its text form writes it: names, or 0xNN for a bit without one.</summary>
    internal static string AttrBits(string[] names, byte v) => Bits(names, v);

    /// <summary>Parses a flag-set attribute's value.</summary>
    internal static bool TryAttrBits(string[] names, string s, out byte v)
    {
        bool ok = TryBits(names, s, out AckFlags set);
        v = (byte)set;
        return ok;
    }

    internal static string Get(string[] table, byte v) => v < table.Length && table[v].Length > 0 ? table[v] : Num(v);

    internal static bool Try<T>(string[] table, string s, out T v) where T : struct, Enum
    {
        bool ok = TryIndex(table, s, out byte b);
        v = System.Runtime.CompilerServices.Unsafe.As<byte, T>(ref b);
        return ok;
    }

    internal static bool TryIndex(string[] table, string s, out byte v)
    {
        int i = s.Length == 0 ? -1 : Array.IndexOf(table, s);
        if (i >= 0) { v = (byte)i; return true; }
        return TryNumber(s, out v);
    }

    private static string Bits(string[] names, byte v)
    {
        if (v == 0) return "none";
        var parts = new List<string>();
        for (int i = 0; i < 8; i++)
        {
            if ((v & (1 << i)) == 0) continue;
            parts.Add(i < names.Length && names[i].Length > 0 ? names[i] : "0x" + (1 << i).ToString("x2", CultureInfo.InvariantCulture));
        }
        return string.Join(',', parts);
    }

    private static bool TryBits<T>(string[] names, string s, out T v) where T : struct, Enum
    {
        byte acc = 0;
        bool ok = true;
        if (s != "none")
        {
            foreach (var part in s.Split(','))
            {
                int i = part.Length == 0 ? -1 : Array.IndexOf(names, part);
                if (i >= 0) acc |= (byte)(1 << i);
                else if (TryNumber(part, out byte n)) acc |= n;
                else { ok = false; break; }
            }
        }
        v = System.Runtime.CompilerServices.Unsafe.As<byte, T>(ref acc);
        return ok;
    }

    private static bool TryNumber(string s, out byte v)
    {
        if (s.StartsWith("0x", StringComparison.Ordinal))
            return byte.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out v);
        return byte.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v);
    }

    private static string Num(byte v) => v.ToString(CultureInfo.InvariantCulture);
}
