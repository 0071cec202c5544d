using Vmm.Hosting.Configuration.Internal;

namespace Vmm.Hosting.Configuration.Kinds;

/// <summary>A <see cref="Durations"/> duration within a range, always written as a string (<c>"1s"</c>).</summary>
internal sealed class DurationKind(TimeSpan min, TimeSpan max) : ConfigKind<TimeSpan>
{
    public override string Placeholder => "DURATION";

    public override string Constraint => $"{Durations.Format(min)}..{Durations.Format(max)}";

    public override TimeSpan Parse(string text)
    {
        if (!Durations.TryParse(text, out var value))
            throw new FormatException($"{RawValue.Quoted(text)} is not a duration (e.g. 1s, 500ms)");
        if (value < min || value > max)
            throw new FormatException($"{text} is out of range {Constraint}");
        return value;
    }

    public override string Format(TimeSpan value) => Durations.Format(value);

    // A TOML number has no unit; say how to write it rather than only that it is wrong.
    internal override TimeSpan Convert(RawValue raw) =>
        raw.Type is RawType.Integer or RawType.Float
            ? throw new FormatException($"{raw.Text} is not a duration: write it as a string with a unit (e.g. \"1s\", \"500ms\")")
            : base.Convert(raw);
}
