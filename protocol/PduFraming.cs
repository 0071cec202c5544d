using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Vmm.Protocol;

/// <summary>
/// Delimits PDUs (spec §3.4 streams, §3.5 datagrams). One header check serves both: a stream reader asks
/// for more bytes until a whole PDU is present; a datagram must be exactly one PDU.
/// </summary>
public static class PduFraming
{
    /// <summary>
    /// Finds the first PDU of a stream buffer. Returns false when more bytes are needed (also when the
    /// header is not complete yet); throws <see cref="ProtocolException"/> as soon as the header is bad,
    /// so an oversized length is refused before its bytes are buffered.
    /// </summary>
    public static bool TryReadFrame(ReadOnlySpan<byte> input, out PduHeader header, out int consumed, int maxLength = PduHeader.MaxStreamPdu)
    {
        header = default;
        consumed = 0;
        if (input.Length < PduHeader.Size)
        {
            // Refuse garbage early: a bad magic is visible from the first two bytes.
            if (input.Length >= 2 && (input[0] != 0x56 || input[1] != 0x4D)) PduHeader.Parse(Pad(input), maxLength);
            return false;
        }
        header = PduHeader.Parse(input, maxLength);
        if (input.Length < header.Length) return false;
        consumed = header.Length;
        return true;
    }

    /// <summary>Checks that a datagram is exactly one PDU of at most <paramref name="maxLength"/> bytes and returns its header.</summary>
    public static PduHeader ReadDatagram(ReadOnlySpan<byte> datagram, int maxLength = PduHeader.MaxDatagram)
    {
        if (datagram.Length < PduHeader.Size) Fail.ShorterThanHeader(datagram.Length);
        var header = PduHeader.Parse(datagram, Math.Max(maxLength, PduHeader.MinPduSize));
        if (datagram.Length != header.Length) Fail.SizeMismatch(datagram.Length, header.Length);
        return header;
    }

    /// <summary>The messages, built out of line so that <see cref="ReadDatagram"/> stays small.</summary>
    private static class Fail
    {
        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void ShorterThanHeader(int size) =>
            Throw.Stream(ProtocolErrorCode.Truncated, $"datagram of {size} bytes is shorter than a PDU header ({PduHeader.Size})");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void SizeMismatch(int size, int declared) => Throw.Stream(
            size < declared ? ProtocolErrorCode.Truncated : ProtocolErrorCode.BadLength,
            size < declared
                ? $"datagram holds {size} bytes but its PDU declares {declared}"
                : $"datagram holds {size} bytes but its PDU declares {declared}: one datagram carries exactly one PDU");
    }

    private static ReadOnlySpan<byte> Pad(ReadOnlySpan<byte> partial)
    {
        var b = new byte[PduHeader.Size];
        partial.CopyTo(b);
        return b;
    }
}
