// FsCheck arbitraries (generator + shrinker) registered with [Properties(Arbitrary = [typeof(Arbs)])].
using FsCheck;
using FsCheck.Fluent;
using Vmm.Protocol.Pdus;

namespace Vmm.Protocol.Tests.Generators;

/// <summary>Random bytes of 0..2000: what a peer that is not a Vmm peer might send.</summary>
public sealed record Junk(byte[] Bytes)
{
    public override string ToString() => $"Junk({Bytes.Length}: {Convert.ToHexStringLower(Bytes)})";
}

/// <summary>A sound 10-byte header with a random type and declared length, then random body bytes.</summary>
public sealed record HeaderedJunk(byte[] Bytes)
{
    public override string ToString() => $"HeaderedJunk({Bytes.Length}: {Convert.ToHexStringLower(Bytes)})";
}

/// <summary>A seed for choosing positions and values inside a property (bit flips, mutations, prefixes).</summary>
public readonly record struct Seed(int Value);

/// <summary>A string mixing text-form syntax, escapes, controls, lone surrogates and non-ASCII characters.</summary>
public sealed record TextInput(string Value)
{
    public override string ToString() => $"TextInput(\"{Escape(Value)}\")";

    internal static string Escape(string s) =>
        string.Concat(s.Select(c => c is >= ' ' and < '\x7f' and not '\\' and not '"' ? c.ToString() : $"\\u{(int)c:x4}"));
}

/// <summary>The arbitraries of this project.</summary>
public static class Arbs
{
    public static Arbitrary<Pdu> Pdu() => Arb.From(Gens.AnyPdu, Shrinks.Pdu);
    public static Arbitrary<StatePdu> State() => Typed(Gens.State);
    public static Arbitrary<RequestPdu> Request() => Typed(Gens.Request);
    public static Arbitrary<AckPdu> Ack() => Typed(Gens.Ack);
    public static Arbitrary<ErrorPdu> Error() => Typed(Gens.Error);
    public static Arbitrary<AdminQueryPdu> Query() => Typed(Gens.Query);
    public static Arbitrary<AdminSubmitPdu> Submit() => Typed(Gens.Submit);
    public static Arbitrary<AdminHostPdu> Host() => Typed(Gens.Host);
    public static Arbitrary<AdminVmPdu> AdminVm() => Typed(Gens.AdminVm);
    public static Arbitrary<AdminResultPdu> Result() => Typed(Gens.Result);
    public static Arbitrary<AdminEventPdu> Event() => Typed(Gens.Event);

    public static Arbitrary<ClusterKey> Key() => Arb.From(Gens.Key);

    public static Arbitrary<Seed> Seed() => Arb.From(Gens.Seed.Select(s => new Seed(s)));

    public static Arbitrary<Junk> Junk() => Arb.From(
        from len in Gen.Frequency((1, Gen.Choose(0, 32)), (3, Gen.Choose(0, 2000)))
        from seed in Gens.Seed
        from prefix in Gen.Frequency((3, Gen.Constant(Array.Empty<byte>())), (1, Gen.Elements(new byte[] { 0x56 }, [0x56, 0x4D], [0x56, 0x4D, 0x01])))
        select new Junk([.. prefix, .. Gens.RandomBytes(seed, len)]),
        j => Shrinks.Bytes(j.Bytes).Select(b => new Junk(b)));

    public static Arbitrary<HeaderedJunk> HeaderedJunk() => Arb.From(
        from type in Gen.Frequency((6, Gen.Elements<byte>(0x01, 0x02, 0x03, 0x04, 0x10, 0x11, 0x12, 0x13, 0x14)), (1, Gens.U8))
        from keyId in Gens.U8
        from bodyLength in Gen.Frequency((1, Gen.Choose(0, 64)), (2, Gen.Choose(0, 2000)))
        from declared in Gen.Frequency(
            (6, Gen.Constant(-1)),                     // exactly the bytes that follow: the body is parsed
            (1, Gen.Choose(0, 100)),
            (1, Gen.Choose(0, 70000)),
            (1, Gens.U32.Select(v => (int)(v >> 1))))
        from seed in Gens.Seed
        select new HeaderedJunk(Framed(type, keyId, declared, Gens.RandomBytes(seed, bodyLength))),
        j => Shrinks.Bytes(j.Bytes[PduHeader.Size..]).Select(b => new HeaderedJunk([.. j.Bytes[..PduHeader.Size], .. b])));

    private static byte[] Framed(byte type, byte keyId, int declared, byte[] bodyAndTag)
    {
        var b = new byte[PduHeader.Size + bodyAndTag.Length];
        int length = declared < 0 ? b.Length : declared;
        PduHeader.Write(b, (PduType)type, keyId, length);
        bodyAndTag.CopyTo(b, PduHeader.Size);
        return b;
    }

    public static Arbitrary<TextInput> TextInput() => Arb.From(
        Gen.Frequency(
            (1, from len in Gen.Choose(0, 300) from chars in Gen.ArrayOf(TextChar, len) select new string(chars)),
            (2, from len in Gen.Choose(0, 24) from tokens in Gen.ArrayOf(TextToken, len) select string.Concat(tokens)))
        .Select(s => new TextInput(s)),
        t => Shrinks.Chars(t.Value).Select(s => new TextInput(s)));

    /// <summary>Inside quotes: plain letters, escapes' pieces, and characters UTF-8 must get right.</summary>
    private static Gen<char> QuotedChar => Gen.Frequency(
        (3, Gen.Elements("abc x=\\\"".ToCharArray())),
        (3, Gen.Elements('\u00e9', '\u65e5', '\ud83d', '\ude00', '\ud800', '\udbff', '\udc00', '\udfff', '\ufffd', '\uffff', '\u0085', '\t', '\n')));

    /// <summary>Pieces of the text form's grammar, whole or broken: fields, braces, quotes, escapes.</summary>
    internal static Gen<string> TextToken => Gen.Frequency(
        (3, Gen.Elements(" ", " ", "=", "{", "}", "!", "\"", ",")),
        (3, Gen.Elements("id=", "code=", "boot=", "uuid=", "flags=", "message=", "name=", "host=", "vm={", "disk={", "nic={", "mac=",
            "disk-spec={", "x7d=", "x7f=", "!name=", "tag=", "power=", "reason=", "seq=", "pages=", "what=", "state=", "memory=", "size=")),
        (2, Gen.Elements("1", "0", "0x", "0xff", "18446744073709551616", "65536", "-1", "start", "force", "none", "readonly,cdrom",
            "52:54:00:12:34:56", "0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20", "ab:cd", "01:", "00:00000000000000000000000000000000")),
        (2, Gen.Elements("\\x", "\\x4", "\\x41", "\\xzz", "\\q", "\\\"", "\\\\", "\\")),
        (3, from n in Gen.Choose(0, 6) from cs in Gen.ArrayOf(QuotedChar, n) from close in Gen.Elements(true, true, false)
            select "\"" + new string(cs) + (close ? "\"" : "")),
        (3, TextChar.Select(c => c.ToString())));

    /// <summary>Characters that matter to the text form's lexer, and some that should never appear in it.</summary>
    internal static readonly Gen<char> TextChar = Gen.Frequency(
        (6, Gen.Elements("abcdefghijklmnopqrstuvwxyz".ToCharArray())),
        (3, Gen.Elements("0123456789x".ToCharArray())),
        (4, Gen.Elements(" ={}!\"\\:-,.".ToCharArray())),
        (1, Gen.Elements('\t', '\n', '\r', '\0', '\x7f', '\x85', '\u00e9', '\u65e5', '\u2028', '\ufeff', '\ud83d', '\ude00', '\udfff', '\ud800')),
        (1, Gen.Choose(0, 0xFFFF).Select(i => (char)i)));

    private static Arbitrary<T> Typed<T>(Gen<T> gen) where T : Pdu => Arb.From(gen, x => Shrinks.Pdu(x).Cast<T>());
}
