namespace Vmm.Protocol.Internal;

/// <summary>
/// The fixed part REQUEST and ACK share (spec §7.1, §7.2): both name a request, a host boot and a VM.
/// <code>
/// Exchange {
///   request_id (64)    // never 0
///   boot_id    (64)
///   code       (8)
///   flags      (8)
///   uuid       (128)
///   attributes (rest of body)
/// }
/// </code>
/// </summary>
internal readonly ref struct Exchange
{
    public const int FixedSize = 8 + 8 + 1 + 1 + 16;

    public ulong RequestId { get; init; }
    public ulong BootId { get; init; }
    public byte Code { get; init; }
    public byte Flags { get; init; }
    public ReadOnlySpan<byte> UuidBytes { get; init; }
    public ReadOnlySpan<byte> Attributes { get; init; }

    public static Exchange Parse(ReadOnlySpan<byte> body, string what, byte allowedFlags, bool zeroIdAllowed)
    {
        var r = new WireReader(body);
        var x = new Exchange
        {
            RequestId = r.U64("request_id"),
            BootId = r.U64("boot_id"),
            Code = r.U8("code"),
            Flags = r.U8("flags"),
            UuidBytes = r.Bytes(16, "uuid"),
            Attributes = r.Rest(),
        };
        if (x.RequestId == 0 && !zeroIdAllowed) Throw.BadValue(what + " request_id is 0");
        if ((x.Flags & ~allowedFlags) != 0) Throw.ReservedBits(what + " flags", x.Flags);
        AttrReader.Validate(x.Attributes);
        return x;
    }

    public static void Write(ref WireWriter w, ulong requestId, ulong bootId, byte code, byte flags, Guid uuid, AttrList attrs)
    {
        w.U64(requestId);
        w.U64(bootId);
        w.U8(code);
        w.U8(flags);
        w.Uuid(uuid);
        AttrCodec.Write(ref w, attrs);
    }

    /// <summary>The request id of a body whose fixed part is readable, else 0: lets a host ack a request it cannot parse.</summary>
    public static ulong PeekRequestId(ReadOnlySpan<byte> body) =>
        body.Length >= 8 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(body) : 0;
}
