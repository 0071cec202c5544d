using System.Diagnostics.CodeAnalysis;

namespace Vmm.Protocol;

/// <summary>
/// The one exception the codec raises for bad input. It carries the spec's error code and a one-line message
/// that says what was wrong, fit to show to an operator as it is.
/// </summary>
public sealed class ProtocolException : Exception
{
    /// <summary>Creates an exception for <paramref name="code"/>.</summary>
    public ProtocolException(ProtocolErrorCode code, string message) : base(message) => Code = code;

    /// <summary>The spec error code.</summary>
    public ProtocolErrorCode Code { get; }

    /// <summary>True when a stream must be closed after this error (spec §9).</summary>
    public bool IsStreamError => Code.IsStreamError();
}

/// <summary>Throw helpers kept out of line so the decode paths stay small (Kestrel's ThrowHelper pattern).</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void Protocol(ProtocolErrorCode code, string message) => throw new ProtocolException(code, message);

    [DoesNotReturn]
    public static void Malformed(string message) => throw new ProtocolException(ProtocolErrorCode.Malformed, message);

    [DoesNotReturn]
    public static void BadValue(string message) => throw new ProtocolException(ProtocolErrorCode.BadValue, message);

    [DoesNotReturn]
    public static void Overrun(string field) =>
        throw new ProtocolException(ProtocolErrorCode.Malformed, $"{field} runs past the end of its container");

    [DoesNotReturn]
    public static void NoRoom(int needed) =>
        throw new ProtocolException(ProtocolErrorCode.TooLarge, $"PDU does not fit its buffer or its transport's limit (needs {needed} more bytes)");
}
