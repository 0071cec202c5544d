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
            if (!PduHeader.CouldStartPdu(input)) PduHeader.Parse(Pad(input), maxLength);
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
        if (!TryReadDatagram(datagram, out var frame, out _, maxLength)) Fail.Datagram(datagram, Limit(maxLength));
        return frame.Header;
    }

    /// <summary>
    /// The checks of <see cref="ReadDatagram"/>, without an exception: false with the spec's error code of the
    /// first that fails. The UDP fast path: a flood of forged or foreign datagrams costs no exception.
    /// </summary>
    public static bool TryReadDatagram(ReadOnlySpan<byte> datagram, out PduFrame frame, out ProtocolErrorCode fault, int maxLength = PduHeader.MaxDatagram)
    {
        frame = default;
        if (!PduHeader.TryParse(datagram, Limit(maxLength), out var header, out fault)) return false;
        if (datagram.Length != header.Length)
        {
            fault = datagram.Length < header.Length ? ProtocolErrorCode.Truncated : ProtocolErrorCode.BadLength;
            return false;
        }
        frame = new PduFrame(header, datagram);
        return true;
    }

    // A limit below the smallest PDU would refuse every datagram as too large, whatever it holds.
    private static int Limit(int maxLength) => Math.Max(maxLength, PduHeader.MinPduSize);

    /// <summary>The messages, built out of line so that <see cref="ReadDatagram"/> stays small.</summary>
    private static class Fail
    {
        /// <summary>Throws what <see cref="TryReadDatagram"/> found, with the message that says why.</summary>
        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void Datagram(ReadOnlySpan<byte> datagram, int maxLength)
        {
            if (datagram.Length < PduHeader.Size) ShorterThanHeader(datagram.Length);
            var header = PduHeader.Parse(datagram, maxLength);   // throws the header's fault
            SizeMismatch(datagram.Length, header.Length);
        }

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
