using System.Buffers.Binary;

namespace Vmm.Protocol.Internal;

/// <summary>
/// A forward-only big-endian reader over a span. Every read checks bounds and throws a Malformed
/// <see cref="ProtocolException"/> naming the field, so callers never index past their input.
/// </summary>
internal ref struct WireReader(ReadOnlySpan<byte> input)
{
    private readonly ReadOnlySpan<byte> _input = input;
    private int _pos;

    public readonly int Position => _pos;
    public readonly int Remaining => _input.Length - _pos;
    public readonly bool End => _pos == _input.Length;

    public byte U8(string field)
    {
        if (_pos >= _input.Length) Throw.Overrun(field);
        return _input[_pos++];
    }

    public ushort U16(string field) => BinaryPrimitives.ReadUInt16BigEndian(Bytes(2, field));
    public uint U32(string field) => BinaryPrimitives.ReadUInt32BigEndian(Bytes(4, field));
    public ulong U64(string field) => BinaryPrimitives.ReadUInt64BigEndian(Bytes(8, field));

    public ReadOnlySpan<byte> Bytes(int count, string field)
    {
        if ((uint)count > (uint)(_input.Length - _pos)) Throw.Overrun(field);
        var s = _input.Slice(_pos, count);
        _pos += count;
        return s;
    }

    /// <summary>A u8 length followed by that many bytes.</summary>
    public ReadOnlySpan<byte> Str8(string field) => Bytes(U8(field), field);

    public ReadOnlySpan<byte> Rest()
    {
        var s = _input[_pos..];
        _pos = _input.Length;
        return s;
    }
}
