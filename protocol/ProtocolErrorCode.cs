namespace Vmm.Protocol;

/// <summary>
/// Protocol error codes (spec/PROTOCOL.md §9, "Error codes"). Codes 1-10 are stream errors: the PDU cannot
/// be trusted or delimited, so a stream is answered with an ERROR PDU and closed. Codes 11-13 are PDU errors:
/// the frame is sound and authentic but its body is not; a REQUEST gets an error ACK and the stream lives on.
/// </summary>
public enum ProtocolErrorCode : ushort
{
    /// <summary>Fewer bytes than the header or the declared length (a datagram only).</summary>
    Truncated = 1,
    /// <summary>The first two bytes are not 0x564D.</summary>
    BadMagic = 2,
    /// <summary>A version this implementation does not speak.</summary>
    BadVersion = 3,
    /// <summary>Declared length below the minimum, or not equal to the datagram's length.</summary>
    BadLength = 4,
    /// <summary>Declared length above the transport's maximum.</summary>
    TooLarge = 5,
    /// <summary>A PDU type not in the registry.</summary>
    UnknownType = 6,
    /// <summary>A known PDU type on a transport or in a direction where it has no meaning.</summary>
    UnexpectedType = 7,
    /// <summary>Key id 0 (unsigned) on a transport that requires authentication.</summary>
    Unsigned = 8,
    /// <summary>The key id names a key the receiver does not hold.</summary>
    WrongKey = 9,
    /// <summary>The authentication tag does not verify.</summary>
    BadTag = 10,
    /// <summary>The body does not parse: overruns, wrong value sizes, bad UTF-8, attributes out of order.</summary>
    Malformed = 11,
    /// <summary>A field parses but its value is outside what the spec allows.</summary>
    BadValue = 12,
    /// <summary>An attribute with the critical bit set that the receiver does not know.</summary>
    UnknownCritical = 13,
    /// <summary>An authentic PDU that was already seen or is older than what the receiver holds.</summary>
    Replay = 14,
}

/// <summary>Classification helpers for <see cref="ProtocolErrorCode"/>.</summary>
public static class ProtocolErrorCodes
{
    /// <summary>True for errors after which a stream cannot continue (spec §9).</summary>
    public static bool IsStreamError(this ProtocolErrorCode code) => code is >= ProtocolErrorCode.Truncated and <= ProtocolErrorCode.BadTag;

    /// <summary>The registry name of a code, as the text form and logs spell it.</summary>
    public static string Name(this ProtocolErrorCode code) => code switch
    {
        ProtocolErrorCode.Truncated => "truncated",
        ProtocolErrorCode.BadMagic => "bad-magic",
        ProtocolErrorCode.BadVersion => "bad-version",
        ProtocolErrorCode.BadLength => "bad-length",
        ProtocolErrorCode.TooLarge => "too-large",
        ProtocolErrorCode.UnknownType => "unknown-type",
        ProtocolErrorCode.UnexpectedType => "unexpected-type",
        ProtocolErrorCode.Unsigned => "unsigned",
        ProtocolErrorCode.WrongKey => "wrong-key",
        ProtocolErrorCode.BadTag => "bad-tag",
        ProtocolErrorCode.Malformed => "malformed",
        ProtocolErrorCode.BadValue => "bad-value",
        ProtocolErrorCode.UnknownCritical => "unknown-critical",
        ProtocolErrorCode.Replay => "replay",
        _ => ((ushort)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
