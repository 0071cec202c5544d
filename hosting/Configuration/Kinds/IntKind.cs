using System.Globalization;
using Vmm.Hosting.Configuration.Internal;

namespace Vmm.Hosting.Configuration.Kinds;

/// <summary>A whole number within a range: a TOML integer, or decimal digits in text.</summary>
internal sealed class IntKind(int min, int max) : ConfigKind<int>
{
    public override string Placeholder => "N";

    public override string Constraint => $"{min}..{max}";

    public override int Parse(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)
            ? InRange(n, text)
            : throw new FormatException($"{RawValue.Quoted(text)} is not a whole number");

    public override string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    internal override int Convert(RawValue raw) => raw.Type switch
    {
        RawType.Integer => InRange(raw.Integer, raw.Text),
        RawType.Text => Parse(raw.Text),
        _ => throw new FormatException($"expected an integer, not {raw.Describe()}"),
    };

    internal override string FormatToml(int value) => Format(value);

    private int InRange(long n, string text) =>
        n >= min && n <= max ? (int)n : throw new FormatException($"{Vmm.Protocol.Validation.Shorten(text)} is out of range {min}..{max}");
}
