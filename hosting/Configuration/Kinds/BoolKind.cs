using Vmm.Hosting.Configuration.Internal;

namespace Vmm.Hosting.Configuration.Kinds;

/// <summary>A switch: a TOML boolean, or true/false, yes/no, on/off, 1/0 in text (systemd's spellings).</summary>
internal sealed class BoolKind : ConfigKind<bool>
{
    public override string Placeholder => "BOOL";

    public override bool Parse(string text) => text.ToLowerInvariant() switch
    {
        "true" or "yes" or "on" or "1" => true,
        "false" or "no" or "off" or "0" => false,
        _ => throw new FormatException($"{RawValue.Quoted(text)} is not a boolean (true or false)"),
    };

    public override string Format(bool value) => value ? "true" : "false";

    internal override bool Convert(RawValue raw) => raw.Type switch
    {
        RawType.Boolean => raw.Boolean,
        RawType.Text => Parse(raw.Text),
        _ => throw new FormatException($"expected true or false, not {raw.Describe()}"),
    };

    internal override string FormatToml(bool value) => Format(value);
}
