using Vmm.Protocol.Internal;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// ERROR (type 0x04), either direction on a stream (spec §7.3): the last PDU before the sender closes.
/// <code>
/// Error {
///   code       (16)    // protocol error code registry
///   attributes (rest of body)   // message; version (the highest this end speaks)
/// }
/// </code>
/// </summary>
public sealed record ErrorPdu : Pdu
{
    /// <inheritdoc/>
    public override PduType Type => PduType.Error;
    /// <summary>Protocol error code.</summary>
    public ProtocolErrorCode Code { get; init; }
    /// <summary>Attributes: message, version.</summary>
    public AttrList Attributes { get; init => field = value.Frozen(); } = AttrList.Empty;

    /// <summary>The ERROR that answers <paramref name="e"/>.</summary>
    public static ErrorPdu For(ProtocolException e)
    {
        var attrs = new AttrList().AddMessage(e.Message);
        if (e.Code == ProtocolErrorCode.BadVersion) attrs.Add(AttrType.Version, PduHeader.CurrentVersion);
        return new ErrorPdu { Code = e.Code, Attributes = attrs };
    }

    internal static ErrorPdu Read(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        var code = (ProtocolErrorCode)r.U16("error code");
        return new ErrorPdu { Code = code, Attributes = AttrCodec.Read(r.Rest()) };
    }

    internal override void WriteBody(ref WireWriter w)
    {
        w.U16((ushort)Code);
        AttrCodec.Write(ref w, Attributes);
    }

    /// <summary>Cuts <paramref name="text"/> to at most <paramref name="maxBytes"/> UTF-8 bytes on a character boundary.</summary>
    public static string Truncate(string text, int maxBytes)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(text) <= maxBytes) return text;
        int n = Math.Min(text.Length, maxBytes);
        while (n > 0 && System.Text.Encoding.UTF8.GetByteCount(text.AsSpan(0, n)) > maxBytes) n--;
        if (n > 0 && char.IsHighSurrogate(text[n - 1])) n--;
        return text[..n];
    }
}
