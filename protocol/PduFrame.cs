namespace Vmm.Protocol;

/// <summary>
/// One whole PDU as a stream or a datagram delivered it: its header, already checked (spec §3.2), and its bytes
/// (header, body and tag). What a receiver dispatches on, so that no receiver reads a header field by offset
/// or checks the header again; the codec decodes it (<see cref="PduCodec.Decode(in PduFrame)"/>). Valid only
/// while its bytes are.
/// </summary>
public readonly ref struct PduFrame
{
    /// <summary>A frame of <paramref name="bytes"/>, whose header <paramref name="header"/> is.</summary>
    /// <exception cref="ArgumentException">the bytes are not as long as the header declares.</exception>
    public PduFrame(PduHeader header, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != header.Length)
            throw new ArgumentException($"a frame of {bytes.Length} bytes under a header that declares {header.Length}", nameof(bytes));
        Header = header;
        Bytes = bytes;
    }

    /// <summary>The checked header.</summary>
    public PduHeader Header { get; }

    /// <summary>The whole PDU: header, body and tag.</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>The PDU type.</summary>
    public PduType Type => Header.Type;

    /// <summary>The key id (0: unsigned).</summary>
    public byte KeyId => Header.KeyId;

    /// <summary>The body: between header and tag.</summary>
    public ReadOnlySpan<byte> Body => PduCodec.Body(Bytes);
}
