namespace Vmm.Hosting.Configuration;

/// <summary>
/// Where settings come from, lowest first: defaults, the main file, its drop-in folder (<c>FILE.d/</c>, files
/// ending in .toml or .ini, in name order), <c>VMM_*</c> environment variables, then command-line flags.
/// </summary>
public sealed record ConfigSources
{
    /// <summary>The main file when none is given, e.g. <c>/etc/vmm/hostd.toml</c>; it may be missing.</summary>
    public required string DefaultFile { get; init; }

    /// <summary>The main file given with --config, or null; it must exist.</summary>
    public string? File { get; init; }

    /// <summary>The environment; only variables beginning with <c>VMM_</c> are read.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Settings given as flags, in command-line order (a later flag wins).</summary>
    public IReadOnlyList<ConfigFlag> Flags { get; init; } = [];

    /// <summary>The main file in effect.</summary>
    public string MainFile => File ?? DefaultFile;

    /// <summary>The drop-in folder in effect: the main file's path and <c>.d</c>.</summary>
    public string DropInFolder => MainFile + ".d";
}

/// <summary>A setting given on the command line (<c>--name VALUE</c> or <c>--name=VALUE</c>).</summary>
public readonly record struct ConfigFlag(ConfigKey Key, string Value);

/// <summary>A setting's effective value and where it came from.</summary>
/// <param name="Key">The setting.</param>
/// <param name="Value">The parsed value (a <c>T</c> of the key's <see cref="ConfigKey{T}"/>).</param>
/// <param name="Source">"default", "/etc/vmm/hostd.toml:12", "VMM_LISTEN" or "--listen".</param>
public sealed record ConfigEntry(ConfigKey Key, object Value, string Source)
{
    /// <summary>True when no file, variable or flag set the value.</summary>
    public bool IsDefault => Source == Internal.ConfigLoader.DefaultSource;

    /// <summary>The value as text, in the form it is written.</summary>
    public string Text => Key.Format(Value);
}
