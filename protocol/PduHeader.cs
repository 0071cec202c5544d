using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Vmm.Protocol;

/// <summary>
/// The common header of every PDU (spec §3.1).
/// <code>
/// Header {
///   magic   (16) = 0x564D        // "VM"
///   version (8)  = 2
///   type    (8)
///   flags   (8)  = 0             // reserved
///   key_id  (8)                  // 0: unsigned (admin socket only)
///   length  (32)                 // whole PDU: header, body and tag; 26..65536
/// }
/// </code>
/// </summary>
public readonly record struct PduHeader(PduType Type, byte KeyId, int Length)
{
    /// <summary>"VM".</summary>
    public const ushort Magic = 0x564D;
    /// <summary>The version this codec speaks.</summary>
    public const byte CurrentVersion = 2;
    /// <summary>Size of the header in bytes.</summary>
    public const int Size = 10;
    /// <summary>Size of the authentication tag that ends every PDU.</summary>
    public const int TagSize = 16;
    /// <summary>Smallest PDU: a header and a tag around an empty body.</summary>
    public const int MinPduSize = Size + TagSize;
    /// <summary>Largest PDU on a stream (TCP or the admin socket).</summary>
    public const int MaxStreamPdu = 65536;
    /// <summary>Largest UDP datagram, so that no datagram is ever fragmented on a 1280-byte IPv6 path.</summary>
    public const int MaxDatagram = 1200;

    /// <summary>Writes a header; <paramref name="length"/> may be patched later with <see cref="PatchLength"/>.</summary>
    public static void Write(Span<byte> dest, PduType type, byte keyId, int length)
    {
        BinaryPrimitives.WriteUInt16BigEndian(dest, Magic);
        dest[2] = CurrentVersion;
        dest[3] = (byte)type;
        dest[4] = 0;
        dest[5] = keyId;
        BinaryPrimitives.WriteUInt32BigEndian(dest[6..], (uint)length);
    }

    /// <summary>Sets the length field of the header at the start of <paramref name="pdu"/>.</summary>
    public static void PatchLength(Span<byte> pdu, int length) => BinaryPrimitives.WriteUInt32BigEndian(pdu[6..], (uint)length);

    /// <summary>
    /// Checks a complete 10-byte header (spec §3.2, in this order: magic, version, flags, length, type) and
    /// returns it. <paramref name="maxLength"/> is the transport's limit, checked before anything is buffered.
    /// Throws <see cref="ProtocolException"/> with the fault that <see cref="TryParse"/> finds, and a message.
    /// </summary>
    public static PduHeader Parse(ReadOnlySpan<byte> header, int maxLength)
    {
        if (!TryParse(header, maxLength, out var result, out var fault)) Fail.For(fault, header, maxLength);
        return result;
    }

    /// <summary>
    /// The checks of <see cref="Parse"/>, without an exception: false with the spec's error code for the first
    /// check that fails (Truncated when fewer than <see cref="Size"/> bytes are given). What a receiver that
    /// must not pay for an exception per forged datagram uses.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> header, int maxLength, out PduHeader result, out ProtocolErrorCode fault)
    {
        result = default;
        if (header.Length < Size) return Refuse(ProtocolErrorCode.Truncated, out fault);
        if (BinaryPrimitives.ReadUInt16BigEndian(header) != Magic) return Refuse(ProtocolErrorCode.BadMagic, out fault);
        if (header[2] != CurrentVersion) return Refuse(ProtocolErrorCode.BadVersion, out fault);
        if (header[4] != 0) return Refuse(ProtocolErrorCode.Malformed, out fault);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header[6..]);
        if (length < MinPduSize) return Refuse(ProtocolErrorCode.BadLength, out fault);
        if (length > (uint)maxLength) return Refuse(ProtocolErrorCode.TooLarge, out fault);
        if (!PduTypes.IsKnown(header[3])) return Refuse(ProtocolErrorCode.UnknownType, out fault);
        result = new PduHeader((PduType)header[3], header[5], (int)length);
        fault = default;
        return true;
    }

    /// <summary>Whether the first two bytes of <paramref name="partial"/> could start a PDU (fewer than two always could).</summary>
    internal static bool CouldStartPdu(ReadOnlySpan<byte> partial) =>
        partial.Length < 2 || BinaryPrimitives.ReadUInt16BigEndian(partial) == Magic;

    private static bool Refuse(ProtocolErrorCode code, out ProtocolErrorCode fault)
    {
        fault = code;
        return false;
    }

    /// <summary>The messages, built out of line so that <see cref="Parse"/> stays small.</summary>
    private static class Fail
    {
        /// <summary>Throws <paramref name="fault"/>, as <see cref="TryParse"/> found it, with the message that says why.</summary>
        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void For(ProtocolErrorCode fault, ReadOnlySpan<byte> header, int maxLength)
        {
            switch (fault)
            {
                case ProtocolErrorCode.Truncated: Truncated(header.Length); break;
                case ProtocolErrorCode.BadMagic: BadMagic(BinaryPrimitives.ReadUInt16BigEndian(header)); break;
                case ProtocolErrorCode.BadVersion: BadVersion(header[2]); break;
                case ProtocolErrorCode.Malformed: Flags(header[4]); break;
                case ProtocolErrorCode.BadLength: Short(BinaryPrimitives.ReadUInt32BigEndian(header[6..])); break;
                case ProtocolErrorCode.TooLarge: TooLarge(BinaryPrimitives.ReadUInt32BigEndian(header[6..]), maxLength); break;
                default: UnknownType(header[3]); break;
            }
        }

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void Truncated(int size) =>
            Throw.Stream(ProtocolErrorCode.Truncated, $"{size} bytes are shorter than a PDU header ({Size})");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void BadMagic(ushort magic) =>
            Throw.Stream(ProtocolErrorCode.BadMagic, $"not a Vmm PDU: magic is 0x{magic:x4}, expected 0x564d");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void BadVersion(byte version) =>
            Throw.Stream(ProtocolErrorCode.BadVersion, version == 1
                ? $"PDU version 1 is not supported; this end speaks version {CurrentVersion} (per-host keys): upgrade the peer and give it its key (spec §11)"
                : $"PDU version {version} is not supported; this end speaks version {CurrentVersion}");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void Flags(byte flags) =>
            Throw.Stream(ProtocolErrorCode.Malformed, $"reserved header flags 0x{flags:x2} must be zero");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void Short(uint length) =>
            Throw.Stream(ProtocolErrorCode.BadLength, $"declared length {length} is below the minimum of {MinPduSize}");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void TooLarge(uint length, int max) =>
            Throw.Stream(ProtocolErrorCode.TooLarge, $"declared length {length} exceeds this transport's limit of {max}");

        [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
        public static void UnknownType(byte type) => Throw.Stream(ProtocolErrorCode.UnknownType, $"unknown PDU type 0x{type:x2}");
    }
}
