// Shared helpers: encode/decode shortcuts, error assertions and hand-built frames.
using System.Buffers.Binary;
using Vmm.Protocol.Text;
using Xunit.Sdk;

namespace Vmm.Protocol.Tests.Support;

/// <summary>Encode/decode shortcuts and assertions shared by the tests.</summary>
public static class Wire
{
    public static byte[] Encode(Pdu pdu, ClusterKey? key = null) => PduCodec.ToBytes(pdu, key);

    /// <summary>Decodes one whole PDU from a stream buffer, insisting that it uses every byte.</summary>
    public static Pdu DecodeStream(byte[] bytes)
    {
        if (!PduCodec.TryDecode(bytes, out var pdu, out int consumed))
            throw new XunitException($"TryDecode wants more bytes for a complete PDU of {bytes.Length} bytes");
        Assert.Equal(bytes.Length, consumed);
        return pdu!;
    }

    /// <summary>The tag at the end of a PDU as the model carries it.</summary>
    public static UInt128 TagOf(ReadOnlySpan<byte> pdu) => BinaryPrimitives.ReadUInt128BigEndian(pdu[^PduHeader.TagSize..]);

    /// <summary>Asserts that <paramref name="action"/> throws a <see cref="ProtocolException"/> with <paramref name="code"/>.</summary>
    public static ProtocolException Throws(ProtocolErrorCode code, Action action)
    {
        var e = Assert.Throws<ProtocolException>(action);
        if (e.Code != code) throw new XunitException($"expected {code.Name()}, got {e.Code.Name()}: {e.Message}");
        AssertOneLine(e.Message);
        return e;
    }

    /// <summary>Runs <paramref name="action"/>; a <see cref="ProtocolException"/> is fine, any other exception fails.</summary>
    public static ProtocolException? OnlyProtocolException(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (ProtocolException e)
        {
            AssertOneLine(e.Message);
            return e;
        }
    }

    public static void AssertOneLine(string message)
    {
        if (message.Length == 0) throw new XunitException("error message is empty");
        if (message.IndexOfAny(['\n', '\r']) >= 0) throw new XunitException($"error message is not one line: \"{message.ReplaceLineEndings("\\n")}\"");
    }

    /// <summary>A frame around <paramref name="body"/>: header (declared length = actual), body, zero tag.</summary>
    public static byte[] Frame(PduType type, ReadOnlySpan<byte> body, byte keyId = 0)
    {
        var b = new byte[PduHeader.Size + body.Length + PduHeader.TagSize];
        PduHeader.Write(b, type, keyId, b.Length);
        body.CopyTo(b.AsSpan(PduHeader.Size));
        return b;
    }

    /// <summary>One raw attribute: type byte, u16 length, value.</summary>
    public static byte[] Attr(byte type, params byte[] value)
    {
        var b = new byte[3 + value.Length];
        b[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(1), (ushort)value.Length);
        value.CopyTo(b, 3);
        return b;
    }

    /// <summary>A REQUEST frame (id 1, ping) whose parameter list is exactly <paramref name="attrs"/>, concatenated.</summary>
    public static byte[] RequestWith(params byte[][] attrs)
    {
        var fixedPart = new byte[8 + 8 + 1 + 1 + 16];
        fixedPart[7] = 1;
        fixedPart[16] = (byte)RequestCode.Ping;
        return Frame(PduType.Request, [.. fixedPart, .. attrs.SelectMany(a => a)]);
    }

    /// <summary>Text form, with the bytes, for failure messages.</summary>
    public static string Show(Pdu pdu)
    {
        string text;
        try { text = PduText.Format(pdu); }
        catch (Exception e) { text = $"<Format threw {e.GetType().Name}: {e.Message}>"; }
        return text;
    }

    public static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);
}
