namespace Vmm.Protocol;

/// <summary>
/// The keys one end holds for one peer (spec §3.3): the key it signs with, and while keys rotate a second key
/// it accepts too. A receiver picks by the header's key id; when both keys carry the same id (one chance in 255)
/// it tries both. The pair can be replaced while PDUs are being checked (a reload): each check reads the pair once.
/// </summary>
public sealed class KeyRing
{
    private sealed record Pair(ClusterKey Signing, ClusterKey? Second);

    private volatile Pair _keys;

    /// <summary>A ring that signs with <paramref name="signing"/> and accepts it and <paramref name="second"/>.</summary>
    public KeyRing(ClusterKey signing, ClusterKey? second = null) => _keys = new Pair(signing, second);

    /// <summary>The key this end signs with (and accepts).</summary>
    public ClusterKey Signing => _keys.Signing;

    /// <summary>The second key accepted while keys rotate; null when none.</summary>
    public ClusterKey? Second => _keys.Second;

    /// <summary>Replaces both keys at once (a reload); PDUs already being checked finish with the old pair.</summary>
    public void Replace(ClusterKey signing, ClusterKey? second) => _keys = new Pair(signing, second);

    /// <summary>"0x7f", or "0x7f (signs), 0x12" while a second key is held.</summary>
    public string Ids
    {
        get
        {
            var keys = _keys;
            return keys.Second is null ? $"0x{keys.Signing.Id:x2}" : $"0x{keys.Signing.Id:x2} (signs), 0x{keys.Second.Id:x2}";
        }
    }

    /// <summary>
    /// Checks key id and tag of a complete PDU of at least 26 bytes without throwing: null when it verifies,
    /// else <see cref="ProtocolErrorCode.Unsigned"/>, <see cref="ProtocolErrorCode.WrongKey"/> or
    /// <see cref="ProtocolErrorCode.BadTag"/>.
    /// </summary>
    public ProtocolErrorCode? Check(ReadOnlySpan<byte> pdu)
    {
        byte id = pdu[5];
        if (id == 0) return ProtocolErrorCode.Unsigned;
        var keys = _keys;
        bool known = false;
        if (keys.Signing.Id == id)
        {
            known = true;
            if (keys.Signing.Verify(pdu)) return null;
        }
        if (keys.Second is { } second && second.Id == id)
        {
            known = true;
            if (second.Verify(pdu)) return null;
        }
        return known ? ProtocolErrorCode.BadTag : ProtocolErrorCode.WrongKey;
    }

    /// <summary>Checks key id then tag of a complete PDU (spec §3.3), throwing Unsigned, WrongKey or BadTag.</summary>
    public void Authenticate(ReadOnlySpan<byte> pdu)
    {
        if (pdu.Length < PduHeader.MinPduSize)
            Throw.Stream(ProtocolErrorCode.BadLength, $"{pdu.Length} bytes are too few for a signed PDU (at least {PduHeader.MinPduSize})");
        switch (Check(pdu))
        {
            case null:
                return;
            case ProtocolErrorCode.Unsigned:
                Throw.Stream(ProtocolErrorCode.Unsigned, "PDU is unsigned (key id 0) but this transport requires a key");
                break;
            case ProtocolErrorCode.WrongKey:
                Throw.Stream(ProtocolErrorCode.WrongKey, $"PDU is signed with a key this end does not hold (key id 0x{pdu[5]:x2}; this end holds {Ids})");
                break;
            default:
                Throw.Stream(ProtocolErrorCode.BadTag, "authentication tag does not verify: the PDU was altered or forged");
                break;
        }
    }
}
