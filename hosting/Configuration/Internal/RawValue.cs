namespace Vmm.Hosting.Configuration.Internal;

/// <summary>Where a raw value came from decides how strictly it is typed.</summary>
internal enum RawType
{
    /// <summary>Untyped text: a flag, an environment variable, an INI value, a default.</summary>
    Text,
    /// <summary>A TOML string.</summary>
    String,
    Integer,
    Float,
    Boolean,
    DateTime,
    Array,
    Table,
}

/// <summary>
/// A value as a source gave it, before its kind parses it. <see cref="Text"/> is the string for text and
/// TOML strings, and the TOML source text of any other value (for messages).
/// </summary>
internal sealed record RawValue(RawType Type, string Text, long Integer = 0, bool Boolean = false, IReadOnlyList<RawValue>? Items = null)
{
    public static RawValue FromText(string text) => new(RawType.Text, text);

    /// <summary>"the integer 5", "an array": how a message names a value of the wrong type.</summary>
    public string Describe() => Type switch
    {
        RawType.Text or RawType.String => $"the string {Quoted(Text)}",
        RawType.Integer => $"the integer {Text}",
        RawType.Float => $"the float {Text}",
        RawType.Boolean => $"the boolean {Text}",
        RawType.DateTime => $"the date {Text}",
        RawType.Array => "an array",
        _ => "a table",
    };

    /// <summary>User input in a message: quoted, shortened, control characters escaped.</summary>
    public static string Quoted(string text) => "\"" + Vmm.Protocol.Validation.Shorten(text) + "\"";
}
