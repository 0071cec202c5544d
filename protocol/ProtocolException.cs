using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Vmm.Protocol;

/// <summary>
/// The one exception the codec raises for bad input. It carries the spec's error code and a one-line message
/// that says what was wrong, fit to show to an operator as it is.
/// </summary>
public sealed class ProtocolException : Exception
{
    /// <summary>Creates an exception for <paramref name="code"/>; a stream error when the code is one (spec §9).</summary>
    public ProtocolException(ProtocolErrorCode code, string message) : this(code, message, code.IsStreamError()) { }

    /// <summary>Creates an exception, saying whether a stream must be closed after it.</summary>
    public ProtocolException(ProtocolErrorCode code, string message, bool streamError) : base(message)
    {
        Code = code;
        IsStreamError = streamError;
    }

    /// <summary>The spec error code.</summary>
    public ProtocolErrorCode Code { get; }

    /// <summary>
    /// True when a stream must be closed after this error (spec §9): every error found in a header or a tag,
    /// whatever its code (a reserved header flag is malformed, and still ends the stream).
    /// </summary>
    public bool IsStreamError { get; }
}

/// <summary>Throw helpers kept out of line so the decode paths stay small (Kestrel's ThrowHelper pattern).</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void Protocol(ProtocolErrorCode code, string message) => throw new ProtocolException(code, message);

    /// <summary>An error found in a header or tag: the stream cannot continue.</summary>
    [DoesNotReturn]
    public static void Stream(ProtocolErrorCode code, string message) => throw new ProtocolException(code, message, streamError: true);

    [DoesNotReturn]
    public static void Malformed(string message) => throw new ProtocolException(ProtocolErrorCode.Malformed, message);

    [DoesNotReturn]
    public static void BadValue(string message) => throw new ProtocolException(ProtocolErrorCode.BadValue, message);

    [DoesNotReturn]
    public static void Overrun(string field) =>
        throw new ProtocolException(ProtocolErrorCode.Malformed, $"{field} runs past the end of its container");

    /// <summary>"WHAT flags 0xNN set reserved bits", built out of line.</summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ReservedBits(string what, byte value) => Malformed($"{what} 0x{value:x2} set reserved bits");

    /// <summary>A value above its limit, built out of line.</summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void TooLong(string field, int length, int max) => BadValue($"{field} is {length} bytes; the limit is {max}");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ShortRecord(int length, int min) => Malformed($"VM record length {length} is below the minimum of {min}");

    [DoesNotReturn]
    public static void NoRoom(int needed) =>
        throw new ProtocolException(ProtocolErrorCode.TooLarge, $"PDU does not fit its buffer or its transport's limit (needs {needed} more bytes)");
}
