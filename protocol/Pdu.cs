using Vmm.Protocol.Internal;

namespace Vmm.Protocol;

/// <summary>
/// A decoded PDU: the header's type and key id, the body's fields, and the tag. Subclasses are one per PDU
/// type under Pdus/. Records compare by value, so decode(encode(x)) == x is a plain equality.
/// </summary>
public abstract record Pdu
{
    /// <summary>The PDU type.</summary>
    public abstract PduType Type { get; }

    /// <summary>Key id from the header: 0 for unsigned PDUs.</summary>
    public byte KeyId { get; init; }

    /// <summary>The 16-byte tag as it was on the wire (big-endian), kept so that re-encoding reproduces the bytes.</summary>
    public UInt128 Tag { get; init; }

    /// <summary>Writes the body (everything between header and tag).</summary>
    internal abstract void WriteBody(ref WireWriter w);
}
