using Vmm.Hosting.Configuration.Internal;

namespace Vmm.Hosting.Configuration;

/// <summary>
/// What a setting's value is: how its text is parsed and checked, and how the value is written back for
/// --help and --check-config. The kinds in use are made by <see cref="ConfigKinds"/>.
/// </summary>
public abstract class ConfigKind
{
    /// <summary>The placeholder for a value in help text, e.g. <c>HOST:PORT</c> or <c>DURATION</c>.</summary>
    public abstract string Placeholder { get; }

    /// <summary>The values allowed, when narrower than the kind says (a range, a set of words), else null.</summary>
    public virtual string? Constraint => null;

    internal abstract object ConvertBoxed(RawValue raw);

    internal abstract string FormatBoxed(object value);

    internal abstract string FormatTomlBoxed(object value);
}

/// <summary>A kind whose parsed values are of type <typeparamref name="T"/>.</summary>
public abstract class ConfigKind<T> : ConfigKind where T : notnull
{
    /// <summary>
    /// Parses text from a flag, the environment, an INI file or a TOML string. Throws
    /// <see cref="FormatException"/> with a short problem statement (the caller adds where and which key).
    /// </summary>
    public abstract T Parse(string text);

    /// <summary>The value in the form <see cref="Parse"/> reads back.</summary>
    public virtual string Format(T value) => value.ToString() ?? "";

    /// <summary>
    /// A TOML value, which is typed: text kinds take strings only, so that <c>listen = 7401</c> is an error,
    /// not a guess. Kinds that map to TOML integers, booleans or arrays override this.
    /// </summary>
    internal virtual T Convert(RawValue raw) =>
        raw.Type is RawType.Text or RawType.String ? Parse(raw.Text)
        : throw new FormatException($"expected a string ({Placeholder}), not {raw.Describe()}");

    /// <summary>The value as a TOML value (a quoted string unless overridden).</summary>
    internal virtual string FormatToml(T value) => TomlText.Quote(Format(value));

    internal sealed override object ConvertBoxed(RawValue raw) => Convert(raw);

    internal sealed override string FormatBoxed(object value) => Format((T)value);

    internal sealed override string FormatTomlBoxed(object value) => FormatToml((T)value);
}
