// Names and text (spec §3.3) and ErrorPdu.Truncate.
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Tests.Generators;

namespace Vmm.Protocol.Tests.Examples;

public sealed class ValidationTests
{
    [Theory]
    [InlineData("a", true)]
    [InlineData("Z", true)]
    [InlineData("0", true)]
    [InlineData("web-1.example_com", true)]
    [InlineData("a.", true)]
    [InlineData("9-", true)]
    [InlineData("", false)]
    [InlineData("-a", false)]
    [InlineData(".a", false)]
    [InlineData("_a", false)]
    [InlineData("a b", false)]
    [InlineData("a/b", false)]
    [InlineData("a:b", false)]
    [InlineData("a\0", false)]
    [InlineData("caf\u00e9", false)]
    [InlineData("\u0661", false)]     // an Arabic-Indic digit is a digit, but not an ASCII one
    [InlineData("\uff21", false)]     // fullwidth A
    public void IsName_accepts_only_ASCII_letters_digits_dot_underscore_dash_starting_alnum(string v, bool expected)
    {
        Assert.Equal(expected, Validation.IsName(v));
        Assert.Equal(expected, Validation.IsName(Encoding.UTF8.GetBytes(v)));
        Assert.Equal(expected, Validation.NameProblem(v, "host name") is null);
    }

    [Fact]
    public void IsName_allows_64_bytes_and_not_65()
    {
        Assert.True(Validation.IsName(new string('a', 64)));
        Assert.True(Validation.IsName(Encoding.ASCII.GetBytes(new string('a', 64))));
        Assert.False(Validation.IsName(new string('a', 65)));
        Assert.False(Validation.IsName(Encoding.ASCII.GetBytes(new string('a', 65))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-web")]
    [InlineData("a b")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("line\nbreak")]
    public void NameProblem_says_what_is_wrong_in_one_line(string v)
    {
        var problem = Validation.NameProblem(v, "VM name");
        Assert.NotNull(problem);
        Assert.StartsWith("VM name", problem, StringComparison.Ordinal);
        Support.Wire.AssertOneLine(problem);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("plain text", true)]
    [InlineData("caf\u00e9 \u65e5\u672c \ud83d\ude00", true)]
    [InlineData("\u00a0", true)]         // no-break space: not a control
    [InlineData("\u2028", true)]         // line separator is a format character, not a control
    [InlineData("\ufffd", true)]
    [InlineData("a\tb", false)]
    [InlineData("a\nb", false)]
    [InlineData("\0", false)]
    [InlineData("\u001f", false)]
    [InlineData("\u007f", false)]
    [InlineData("\u0080", false)]        // C1 controls
    [InlineData("\u0085", false)]
    [InlineData("\u009f", false)]
    public void IsText_accepts_UTF8_without_control_characters(string v, bool expected)
    {
        Assert.Equal(expected, Validation.IsText(v));
        Assert.Equal(expected, Validation.IsText(Encoding.UTF8.GetBytes(v)));
    }

    [Fact]
    public void IsText_refuses_lone_surrogates()
    {
        // Not a [Theory]: xunit's test-case serialization turns lone surrogates into U+FFFD.
        Assert.False(Validation.IsText("\ud800"));
        Assert.False(Validation.IsText("a\udc00"));
        Assert.False(Validation.IsText("\ude00\ud83d")); // a pair in the wrong order
        Assert.False(Validation.IsText("\ud83d"));
        Assert.True(Validation.IsText("\ud83d\ude00"));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC3 })]                    // truncated sequence
    [InlineData(new byte[] { 0xC0, 0xAF })]              // overlong '/'
    [InlineData(new byte[] { 0xE0, 0x80, 0xAF })]        // overlong
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]        // UTF-16 surrogate encoded in UTF-8
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })]  // above U+10FFFF
    [InlineData(new byte[] { 0x80 })]                    // lone continuation byte
    [InlineData(new byte[] { 0xC2, 0x9F })]              // U+009F, a C1 control
    public void IsText_refuses_invalid_UTF8_and_C1_controls_as_bytes(byte[] v)
    {
        Assert.False(Validation.IsText(v));
    }

    [Property(Arbitrary = [typeof(Arbs)], MaxTest = 1000)]
    public void IsText_and_IsName_agree_on_a_string_and_its_UTF8(TextInput input)
    {
        var v = input.Value;
        if (v.Any(char.IsSurrogate) && !IsWellFormed(v)) return; // lone surrogates have no UTF-8 form
        var utf8 = Encoding.UTF8.GetBytes(v);
        Assert.Equal(Validation.IsText(v), Validation.IsText(utf8));
        Assert.Equal(Validation.IsName(v), Validation.IsName(utf8));
    }

    private static bool IsWellFormed(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(s[i])) return false;
        }
        return true;
    }

    public static Arbitrary<(string Text, int Max)> TruncateCases() => Arb.From(
        from text in Gens.Text(0, 120)
        from max in Gen.Choose(0, 130)
        select (text, max));

    [Property(MaxTest = 2000)]
    public Property ErrorPdu_Truncate_never_splits_a_character_and_keeps_all_that_fits() =>
        Prop.ForAll(TruncateCases(), c =>
        {
            string cut = ErrorPdu.Truncate(c.Text, c.Max);
            int bytes = Encoding.UTF8.GetByteCount(c.Text);
            Assert.StartsWith(cut, c.Text, StringComparison.Ordinal);
            if (bytes <= c.Max)
            {
                Assert.Equal(c.Text, cut);
                return;
            }
            Assert.True(IsWellFormed(cut), "the cut splits a surrogate pair");
            int cutBytes = Encoding.UTF8.GetByteCount(cut);
            Assert.True(cutBytes <= c.Max, $"{cutBytes} bytes is over the limit of {c.Max}");
            // Maximal: the next whole character would not have fitted.
            int next = char.IsHighSurrogate(c.Text[cut.Length]) ? 2 : 1;
            Assert.True(cutBytes + Encoding.UTF8.GetByteCount(c.Text.AsSpan(cut.Length, next)) > c.Max, "the cut dropped a character that fits");
        });

    [Theory]
    [InlineData("abc", 3, "abc")]
    [InlineData("abc", 2, "ab")]
    [InlineData("abc", 0, "")]
    [InlineData("caf\u00e9", 4, "caf")]                    // é is 2 bytes: not split
    [InlineData("caf\u00e9", 5, "caf\u00e9")]
    [InlineData("\u65e5\u65e5", 5, "\u65e5")]              // 3 + 3 bytes
    [InlineData("a\ud83d\ude00", 4, "a")]                  // the emoji is 4 bytes: not split, no lone surrogate
    [InlineData("a\ud83d\ude00", 5, "a\ud83d\ude00")]
    [InlineData("\ud83d\ude00\ud83d\ude00", 7, "\ud83d\ude00")]
    public void ErrorPdu_Truncate_cuts_on_character_boundaries(string text, int max, string expected)
    {
        Assert.Equal(expected, ErrorPdu.Truncate(text, max));
    }
}
