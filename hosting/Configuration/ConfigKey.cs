using Vmm.Hosting.Configuration.Internal;

namespace Vmm.Hosting.Configuration;

/// <summary>
/// One setting: its name (kebab-case, optionally under a dotted section: <c>tcp.max-connections</c>),
/// the kind of its value, its default and a one-line description for --help. The same setting is
/// <c>name = value</c> in a file (or <c>[section]</c> + <c>name = value</c>), <c>--name VALUE</c> on the
/// command line, and <c>VMM_NAME</c> in the environment.
/// </summary>
public abstract class ConfigKey
{
    private protected ConfigKey(string name, string defaultText, string description, string? defaultNote)
    {
        if (!IsValidName(name)) throw new ArgumentException($"'{name}' is not a kebab-case setting name", nameof(name));
        Name = name;
        DefaultText = defaultText;
        Description = description;
        DefaultNote = defaultNote;
        EnvironmentName = "VMM_" + name.ToUpperInvariant().Replace('-', '_').Replace('.', '_');
        Flag = "--" + name;
    }

    /// <summary>The key as written in a file, e.g. <c>libvirt-uri</c>.</summary>
    public string Name { get; }

    /// <summary>The default as text, parsed like any other value (so a default is checked like one).</summary>
    public string DefaultText { get; }

    /// <summary>Where a computed default comes from, for --help ("this machine's host name"), or null.</summary>
    public string? DefaultNote { get; }

    /// <summary>One line for --help.</summary>
    public string Description { get; }

    /// <summary>The environment variable, e.g. <c>VMM_LIBVIRT_URI</c>.</summary>
    public string EnvironmentName { get; }

    /// <summary>The command-line flag, e.g. <c>--libvirt-uri</c>.</summary>
    public string Flag { get; }

    /// <summary>What the value is.</summary>
    public abstract ConfigKind Kind { get; }

    /// <summary>A value of this key in the form it is read back.</summary>
    public string Format(object value) => Kind.FormatBoxed(value);

    internal object Convert(RawValue raw) => Kind.ConvertBoxed(raw);

    internal string FormatToml(object value) => Kind.FormatTomlBoxed(value);

    /// <summary>Lower-case words of letters and digits joined by '-', sections joined by '.'.</summary>
    private static bool IsValidName(string name)
    {
        foreach (var section in name.Split('.'))
        {
            if (section.Length == 0 || !char.IsAsciiLetterLower(section[0]) || section[^1] == '-' || section.Contains("--", StringComparison.Ordinal))
                return false;
            foreach (char c in section)
                if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-') return false;
        }
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>A setting whose value is a <typeparamref name="T"/>; read it with <see cref="Config.Get{T}"/>.</summary>
public sealed class ConfigKey<T>(string name, ConfigKind<T> kind, string defaultText, string description, string? defaultNote = null)
    : ConfigKey(name, defaultText, description, defaultNote) where T : notnull
{
    /// <inheritdoc/>
    public override ConfigKind Kind => TypedKind;

    /// <summary>The kind, typed.</summary>
    public ConfigKind<T> TypedKind { get; } = kind;
}
