using System.Text;
using Vmm.Hosting.Configuration.Internal;

namespace Vmm.Hosting.Configuration;

/// <summary>
/// The effective configuration of a program: one value for every setting of its schema, each remembering
/// which layer set it. Immutable once loaded.
/// </summary>
public sealed class Config
{
    private readonly ConfigEntry[] _entries;

    internal Config(ConfigSchema schema, ConfigEntry[] entries, IReadOnlyList<string> files, IReadOnlyList<string> warnings, ConfigSources sources)
    {
        Schema = schema;
        _entries = entries;
        Files = files;
        Warnings = warnings;
        Sources = sources;
    }

    /// <summary>
    /// Reads every layer of <paramref name="sources"/> over the defaults of <paramref name="schema"/>.
    /// Throws <see cref="ConfigException"/> at the first bad file, line, value, or unknown setting.
    /// </summary>
    public static Config Load(ConfigSchema schema, ConfigSources sources) => ConfigLoader.Load(schema, sources);

    /// <summary>The settings this configuration holds values for.</summary>
    public ConfigSchema Schema { get; }

    /// <summary>What was read.</summary>
    public ConfigSources Sources { get; }

    /// <summary>The files read, in the order they were applied.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>
    /// Problems that did not stop loading, for the program to log once logging is up: a <c>VMM_</c> variable
    /// that looks like a misspelt setting (an unrelated one may belong to another Vmm program).
    /// </summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Every setting with its value and source, in schema order.</summary>
    public IReadOnlyList<ConfigEntry> Entries => _entries;

    /// <summary>The value and source of <paramref name="key"/>.</summary>
    public ConfigEntry this[ConfigKey key] => _entries[Schema.IndexOf(key)];

    /// <summary>The effective value of <paramref name="key"/>.</summary>
    public T Get<T>(ConfigKey<T> key) where T : notnull => (T)this[key].Value;

    /// <summary>Where <paramref name="key"/>'s value came from: "default", "FILE:LINE", "VMM_X" or "--x".</summary>
    public string SourceOf(ConfigKey key) => this[key].Source;

    /// <summary>
    /// An error about <paramref name="key"/>'s effective value found after loading (a check across settings),
    /// located where that value was set: <c>/etc/vmm/c.toml:4: request-timeout: longer than ...</c>.
    /// </summary>
    public ConfigException Error(ConfigKey key, string problem) => new(ConfigLoader.Where(key, SourceOf(key)) + ": " + problem);

    /// <summary>
    /// The --check-config text: a header naming the files read, then one aligned line a setting,
    /// <c>name = value  # source</c>. The whole text is valid TOML that sets the same values.
    /// </summary>
    public string Render()
    {
        var sb = new StringBuilder();
        sb.Append(Files.Count == 0
            ? $"# no configuration file read (looked for {Sources.MainFile} and {Sources.DropInFolder}/)\n"
            : $"# files read, in order: {string.Join(", ", Files)}\n");
        foreach (var warning in Warnings) sb.Append("# warning: ").Append(warning).Append('\n');
        var lines = _entries.Select(e => (Left: e.Key.Name, Value: e.Key.FormatToml(e.Value), e.Source)).ToArray();
        if (lines.Length == 0) return sb.ToString();
        int nameWidth = lines.Max(l => l.Left.Length);
        int valueWidth = lines.Max(l => l.Value.Length);
        foreach (var (name, value, source) in lines)
            sb.Append(name.PadRight(nameWidth)).Append(" = ").Append(value.PadRight(valueWidth)).Append("  # ").Append(source).Append('\n');
        return sb.ToString();
    }
}
