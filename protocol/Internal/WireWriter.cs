using System.Buffers.Binary;
using System.Text;

namespace Vmm.Protocol.Internal;

/// <summary>
/// A forward-only big-endian writer over a span that stops <paramref name="limit"/> bytes short of the
/// span's end (room kept for the tag). Running out of room throws TooLarge; nothing is written past the limit.
/// </summary>
internal ref struct WireWriter(Span<byte> buffer, int limit)
{
    private readonly Span<byte> _buf = buffer;
    private readonly int _limit = Math.Min(limit, buffer.Length);
    private int _pos;

    public readonly int Position => _pos;
    public readonly int Remaining => _limit - _pos;
    public readonly Span<byte> Buffer => _buf;

    public Span<byte> Take(int count)
    {
        if (count > _limit - _pos) Throw.NoRoom(count - (_limit - _pos));
        var s = _buf.Slice(_pos, count);
        _pos += count;
        return s;
    }

    public void U8(byte v) => Take(1)[0] = v;
    public void U16(ushort v) => BinaryPrimitives.WriteUInt16BigEndian(Take(2), v);
    public void U32(uint v) => BinaryPrimitives.WriteUInt32BigEndian(Take(4), v);
    public void U64(ulong v) => BinaryPrimitives.WriteUInt64BigEndian(Take(8), v);
    public void Bytes(scoped ReadOnlySpan<byte> v) => v.CopyTo(Take(v.Length));

    public void Uuid(Guid v)
    {
        if (!v.TryWriteBytes(Take(16), bigEndian: true, out _)) Throw.NoRoom(16);
    }

    /// <summary>UTF-8 of <paramref name="v"/> with no prefix; returns the byte count. One pass when it fits.</summary>
    public int Utf8(string v)
    {
        if (!Encoding.UTF8.TryGetBytes(v, _buf[_pos.._limit], out int n))
            Throw.NoRoom(Encoding.UTF8.GetByteCount(v) - (_limit - _pos));
        _pos += n;
        return n;
    }

    /// <summary>A u8 length then UTF-8 text of at most <paramref name="max"/> bytes.</summary>
    public void Str8(string v, int max, string field)
    {
        int lengthAt = _pos;
        U8(0);
        int n = Utf8(v);
        if (n > max) Throw.TooLong(field, n, max);
        _buf[lengthAt] = (byte)n;
    }

    /// <summary>
    /// Ends a PDU begun with its header at the buffer's start: sets the length, then signs with
    /// <paramref name="key"/>, or writes <paramref name="tag"/> as it is. Returns the PDU's length.
    /// </summary>
    public readonly int Finish(ClusterKey? key, UInt128 tag)
    {
        int length = _pos + PduHeader.TagSize;
        var whole = _buf[..length];
        PduHeader.PatchLength(whole, length);
        if (key is not null) key.Sign(whole);
        else BinaryPrimitives.WriteUInt128BigEndian(whole[^PduHeader.TagSize..], tag);
        return length;
    }

    /// <summary>Patches a big-endian u16 at <paramref name="at"/>.</summary>
    public readonly void PatchU16(int at, ushort v) => BinaryPrimitives.WriteUInt16BigEndian(_buf.Slice(at, 2), v);

    /// <summary>Patches a big-endian u32 at <paramref name="at"/>.</summary>
    public readonly void PatchU32(int at, uint v) => BinaryPrimitives.WriteUInt32BigEndian(_buf.Slice(at, 4), v);
}
