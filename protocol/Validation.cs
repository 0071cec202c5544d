using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Vmm.Protocol;

/// <summary>
/// The value rules of spec §3.3 (names and text), shared by the codec and the daemons so that a name the
/// protocol accepts is exactly a name the hosts accept.
/// </summary>
public static class Validation
{
    /// <summary>Longest name in bytes.</summary>
    public const int MaxNameLength = 64;

    private static readonly SearchValues<byte> NameBytes =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"u8);

    /// <summary>True for 1-64 bytes of [A-Za-z0-9._-] beginning with a letter or digit.</summary>
    public static bool IsName(ReadOnlySpan<byte> v) =>
        v.Length is > 0 and <= MaxNameLength && char.IsAsciiLetterOrDigit((char)v[0]) && !v.ContainsAnyExcept(NameBytes);

    /// <summary>String form of <see cref="IsName(ReadOnlySpan{byte})"/>.</summary>
    public static bool IsName(string v)
    {
        if (v.Length is 0 or > MaxNameLength || !char.IsAsciiLetterOrDigit(v[0])) return false;
        foreach (char c in v)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) return false;
        return true;
    }

    /// <summary>Why <paramref name="v"/> is not a name, in one line, or null when it is one.</summary>
    public static string? NameProblem(string v, string what) =>
        IsName(v) ? null
        : v.Length == 0 ? $"{what} is empty"
        : v.Length > MaxNameLength ? $"{what} '{Shorten(v)}' is longer than {MaxNameLength} characters"
        : $"{what} '{Shorten(v)}' may hold only letters, digits, '.', '_' and '-', and must begin with a letter or digit";

    /// <summary>True for valid UTF-8 with no C0/C1 control characters or DEL.</summary>
    public static bool IsText(ReadOnlySpan<byte> v)
    {
        if (v.ContainsAnyInRange((byte)0x00, (byte)0x1F) || v.Contains((byte)0x7F)) return false;
        if (Ascii.IsValid(v)) return true;
        if (!Utf8.IsValid(v)) return false;
        // C1 controls are U+0080..U+009F, encoded as C2 80..C2 9F.
        for (int i = v.IndexOf((byte)0xC2); i >= 0 && i + 1 < v.Length; )
        {
            if (v[i + 1] is >= 0x80 and <= 0x9F) return false;
            int next = v[(i + 1)..].IndexOf((byte)0xC2);
            i = next < 0 ? -1 : i + 1 + next;
        }
        return true;
    }

    /// <summary>
    /// <paramref name="v"/> as text a text attribute may carry (<see cref="IsText(string)"/>): each run of control
    /// characters (a line break, a tab) becomes one space, a lone surrogate U+FFFD. A message built from an exception's
    /// text (several lines, as some libraries write them) is then one line, not a PDU every receiver refuses.
    /// </summary>
    public static string OneLine(string v)
    {
        if (IsText(v)) return v;
        var sb = new StringBuilder(v.Length);
        for (int i = 0; i < v.Length; i++)
        {
            char c = v[i];
            if (char.IsControl(c))
            {
                if (sb.Length > 0 && sb[^1] != ' ') sb.Append(' ');
            }
            else if (char.IsHighSurrogate(c) && i + 1 < v.Length && char.IsLowSurrogate(v[i + 1])) sb.Append(c).Append(v[++i]);
            else sb.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
        }
        return sb.ToString().TrimEnd(' ');
    }

    /// <summary>String form of <see cref="IsText(ReadOnlySpan{byte})"/>; lone surrogates are not text.</summary>
    public static bool IsText(string v)
    {
        foreach (char c in v)
            if (char.IsControl(c)) return false;
        for (int i = 0; i < v.Length; i++)
        {
            if (char.IsHighSurrogate(v[i]) && i + 1 < v.Length && char.IsLowSurrogate(v[i + 1])) { i++; continue; }
            if (char.IsSurrogate(v[i])) return false;
        }
        return true;
    }

    /// <summary>
    /// User input quoted in an error message: cut to 40 characters, with control and other invisible
    /// characters written as \u and four hex digits, so that every message stays one printable line.
    /// </summary>
    public static string Shorten(string v)
    {
        var cut = v.Length <= 40 ? v : v[..37] + "...";
        var sb = new StringBuilder(cut.Length + 16);
        for (int i = 0; i < cut.Length; i++)
        {
            char c = cut[i];
            if (char.IsHighSurrogate(c) && i + 1 < cut.Length && char.IsLowSurrogate(cut[i + 1])) { sb.Append(c).Append(cut[++i]); continue; }
            if (NeedsEscape(c)) sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static bool NeedsEscape(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format
            or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator;

    internal static string Decode(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
