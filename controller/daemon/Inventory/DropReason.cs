// Why a STATE datagram was not applied. The first values are the spec's error codes (§9), so a
// ProtocolException's code converts by a cast; the rest are the ordering rules of §6.6 and the
// controller's own bounds.
using Vmm.Protocol;

namespace Vmm.Controller.Inventory;

/// <summary>Why a datagram was dropped; counted globally and per host, and logged rate-limited.</summary>
internal enum DropReason : byte
{
    None = 0,
    Truncated = (byte)ProtocolErrorCode.Truncated,
    BadMagic = (byte)ProtocolErrorCode.BadMagic,
    BadVersion = (byte)ProtocolErrorCode.BadVersion,
    BadLength = (byte)ProtocolErrorCode.BadLength,
    TooLarge = (byte)ProtocolErrorCode.TooLarge,
    UnknownType = (byte)ProtocolErrorCode.UnknownType,
    UnexpectedType = (byte)ProtocolErrorCode.UnexpectedType,
    Unsigned = (byte)ProtocolErrorCode.Unsigned,
    WrongKey = (byte)ProtocolErrorCode.WrongKey,
    BadTag = (byte)ProtocolErrorCode.BadTag,
    Malformed = (byte)ProtocolErrorCode.Malformed,
    BadValue = (byte)ProtocolErrorCode.BadValue,
    UnknownCritical = (byte)ProtocolErrorCode.UnknownCritical,
    /// <summary>The sequence equals the newest accepted of the current boot.</summary>
    Duplicate = 20,
    /// <summary>The sequence is below the newest accepted of the current boot.</summary>
    Stale = 21,
    /// <summary>The boot id is one this host has retired: a replay, or a datagram delayed past a restart.</summary>
    RetiredBoot = 22,
    /// <summary>A new boot id while the current boot is alive: two hostd claim one name, or a replay.</summary>
    CompetingBoot = 23,
    /// <summary>A host name beyond the controller's bound on hosts.</summary>
    HostLimit = 24,
}

internal static class DropReasons
{
    /// <summary>Size of an array indexed by <see cref="DropReason"/>.</summary>
    public const int Count = 25;

    /// <summary>Every reason that can be counted, for listings.</summary>
    public static ReadOnlySpan<DropReason> All =>
    [
        DropReason.Truncated, DropReason.BadMagic, DropReason.BadVersion, DropReason.BadLength, DropReason.TooLarge,
        DropReason.UnknownType, DropReason.UnexpectedType, DropReason.Unsigned, DropReason.WrongKey, DropReason.BadTag,
        DropReason.Malformed, DropReason.BadValue, DropReason.UnknownCritical, DropReason.Duplicate, DropReason.Stale,
        DropReason.RetiredBoot, DropReason.CompetingBoot, DropReason.HostLimit,
    ];

    public static DropReason From(ProtocolErrorCode code) =>
        code is >= ProtocolErrorCode.Truncated and <= ProtocolErrorCode.UnknownCritical ? (DropReason)code : DropReason.Malformed;

    /// <summary>The name used in logs and counters: the spec's error names, then the ordering rules'.</summary>
    public static string Name(this DropReason reason) => reason switch
    {
        <= DropReason.UnknownCritical and > DropReason.None => ((ProtocolErrorCode)reason).Name(),
        DropReason.Duplicate => "duplicate",
        DropReason.Stale => "stale",
        DropReason.RetiredBoot => "retired-boot",
        DropReason.CompetingBoot => "competing-boot",
        DropReason.HostLimit => "host-limit",
        _ => "none",
    };

    /// <summary>
    /// Drops that happen in a healthy network and say nothing about who sent them (a datagram seen twice):
    /// logged at debug level only. A stale datagram (older than the newest accepted) is logged at warning, as a
    /// competing boot is: it is what a replay of a host's recorded datagrams looks like.
    /// </summary>
    public static bool IsBenign(this DropReason reason) => reason is DropReason.Duplicate;
}
