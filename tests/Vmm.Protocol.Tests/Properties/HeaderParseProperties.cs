// The non-throwing header checks (PduHeader.TryParse, PduFraming.TryReadDatagram: what the controller's UDP
// fast path uses) and the throwing ones (Parse, ReadDatagram: streams and the slow path) are one decision:
// on any input they accept the same bytes with the same header, and refuse the others with the same code,
// the code of the first check of spec §3.2 (then §3.5 for a datagram) that fails, as written out here.
using FsCheck.Xunit;
using Vmm.Protocol.Tests.Generators;
using Vmm.Protocol.Tests.Support;
using Xunit.Sdk;

namespace Vmm.Protocol.Tests.Properties;

[Properties(Arbitrary = [typeof(Arbs)], MaxTest = 5000)]
public sealed class HeaderParseProperties
{
    private static readonly int[] Limits = [0, PduHeader.MinPduSize, 100, PduHeader.MaxDatagram, PduHeader.MaxStreamPdu];

    [Property]
    public void TryParse_agrees_with_Parse(Seed seed)
    {
        var (bytes, max) = Case(seed);
        bool ok = PduHeader.TryParse(bytes, max, out var header, out var fault);
        ProtocolException? thrown = null;
        PduHeader parsed = default;
        try { parsed = PduHeader.Parse(bytes, max); }
        catch (ProtocolException e) { thrown = e; }
        Agree(ok, header, fault, thrown, parsed, bytes);
    }

    [Property]
    public void TryReadDatagram_agrees_with_ReadDatagram(Seed seed)
    {
        var (bytes, max) = Case(seed);
        bool ok = PduFraming.TryReadDatagram(bytes, out var frame, out var fault, max);
        if (ok && frame.Bytes.Length != bytes.Length) throw new XunitException("the frame is not the whole datagram");
        ProtocolException? thrown = null;
        PduHeader parsed = default;
        try { parsed = PduFraming.ReadDatagram(bytes, max); }
        catch (ProtocolException e) { thrown = e; }
        Agree(ok, frame.Header, fault, thrown, parsed, bytes);
    }

    [Property]
    public void TryParse_refuses_with_the_first_failing_check_of_the_spec(Seed seed)
    {
        var (bytes, max) = Case(seed);
        bool ok = PduHeader.TryParse(bytes, max, out _, out var fault);
        var expected = SpecHeaderFault(bytes, max);
        if (ok != (expected is null) || (!ok && fault != expected))
            throw new XunitException($"{Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, 16)))} (limit {max}): " +
                                     $"{(ok ? "accepted" : fault.Name())}, the spec says {expected?.Name() ?? "accept"}");
    }

    [Property]
    public void TryReadDatagram_refuses_with_the_first_failing_check_of_the_spec(Seed seed)
    {
        var (bytes, max) = Case(seed);
        bool ok = PduFraming.TryReadDatagram(bytes, out _, out var fault, max);
        int limit = Math.Max(max, PduHeader.MinPduSize);
        var expected = SpecHeaderFault(bytes, limit);
        if (expected is null)
        {
            uint declared = (uint)((bytes[6] << 24) | (bytes[7] << 16) | (bytes[8] << 8) | bytes[9]);
            if (bytes.Length < declared) expected = ProtocolErrorCode.Truncated;
            else if (bytes.Length > declared) expected = ProtocolErrorCode.BadLength;
        }
        if (ok != (expected is null) || (!ok && fault != expected))
            throw new XunitException($"{Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, 16)))} ({bytes.Length} bytes, limit {max}): " +
                                     $"{(ok ? "accepted" : fault.Name())}, the spec says {expected?.Name() ?? "accept"}");
    }

    // Spec §3.2, written out independently of the codec: magic, version, flags, length, type, in that order.
    private static ProtocolErrorCode? SpecHeaderFault(byte[] b, int max)
    {
        if (b.Length < 10) return ProtocolErrorCode.Truncated;
        if (b[0] != 0x56 || b[1] != 0x4D) return ProtocolErrorCode.BadMagic;
        if (b[2] != 2) return ProtocolErrorCode.BadVersion;
        if (b[4] != 0) return ProtocolErrorCode.Malformed;
        long length = ((long)b[6] << 24) | ((long)b[7] << 16) | ((long)b[8] << 8) | b[9];
        if (length < 26) return ProtocolErrorCode.BadLength;
        if (length > max) return ProtocolErrorCode.TooLarge;
        if (!Enum.IsDefined((PduType)b[3])) return ProtocolErrorCode.UnknownType;
        return null;
    }

    private static void Agree(bool ok, PduHeader header, ProtocolErrorCode fault, ProtocolException? thrown, PduHeader parsed, byte[] bytes)
    {
        string input = Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, 16)));
        if (ok && thrown is not null)
            throw new XunitException($"{input}: the non-throwing check accepts, the throwing one refuses ({thrown.Code.Name()}: {thrown.Message})");
        if (!ok && thrown is null)
            throw new XunitException($"{input}: the non-throwing check refuses ({fault.Name()}), the throwing one accepts");
        if (ok && header != parsed) throw new XunitException($"{input}: {header} against {parsed}");
        if (!ok)
        {
            if (thrown!.Code != fault) throw new XunitException($"{input}: {fault.Name()} against {thrown.Code.Name()}: {thrown.Message}");
            if (!thrown.IsStreamError) throw new XunitException($"{input}: a header fault that is not a stream error: {thrown.Code.Name()}");
            Wire.AssertOneLine(thrown.Message);
        }
    }

    // A header whose every field is sound most of the time, so that each check in turn is the first to fail,
    // and a total length equal to, shorter or longer than the declared one (or shorter than a header).
    private static (byte[] Bytes, int Max) Case(Seed seed)
    {
        var r = new Random(seed.Value);
        int max = Limits[r.Next(Limits.Length)];
        uint declared = r.Next(6) switch
        {
            0 => (uint)r.Next(0, PduHeader.MinPduSize),
            1 => (uint)r.Next(),
            2 => uint.MaxValue - (uint)r.Next(3),
            _ => (uint)r.Next(PduHeader.MinPduSize, 1400),
        };
        int total = r.Next(8) switch
        {
            0 => r.Next(0, PduHeader.Size),
            1 => r.Next(PduHeader.Size, 1400),
            _ => (int)Math.Min(declared, 70_000) + (r.Next(5) == 0 ? r.Next(-2, 3) : 0),
        };
        var b = new byte[Math.Max(total, 0)];
        r.NextBytes(b);
        Span<byte> h = stackalloc byte[PduHeader.Size];
        PduHeader.Write(h, PduTypeOf(r), (byte)r.Next(256), 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(h[6..], declared);
        if (r.Next(8) == 0) h[0] = (byte)r.Next(256);
        if (r.Next(8) == 0) h[1] = (byte)r.Next(256);
        if (r.Next(8) == 0) h[2] = (byte)r.Next(4);
        if (r.Next(8) == 0) h[4] = (byte)r.Next(256);
        h[..Math.Min(b.Length, PduHeader.Size)].CopyTo(b);
        return (b, max);
    }

    private static PduType PduTypeOf(Random r) =>
        r.Next(4) == 0 ? (PduType)r.Next(256) : Enum.GetValues<PduType>()[r.Next(Enum.GetValues<PduType>().Length)];
}
