using Vmm.Hosting.Configuration.Internal;

namespace Vmm.Hosting.Configuration;

/// <summary>Every setting a program reads, in the order --help and --check-config list them.</summary>
public sealed class ConfigSchema
{
    /// <summary>Flags the command line itself uses; no setting may take their names.</summary>
    internal static readonly string[] ReservedNames = ["config", "check-config", "help", "version"];

    private readonly Dictionary<string, ConfigKey> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConfigKey> _byEnvironment = new(StringComparer.Ordinal);
    private readonly Dictionary<ConfigKey, int> _index = [];

    /// <summary>
    /// Builds a schema. Throws <see cref="ArgumentException"/> for a name used twice, two names that map
    /// to one environment variable (<c>a-b</c> and <c>a.b</c>), or a reserved name: programming errors.
    /// </summary>
    public ConfigSchema(IEnumerable<ConfigKey> keys)
    {
        Keys = keys.ToArray();
        for (int i = 0; i < Keys.Count; i++)
        {
            var key = Keys[i];
            if (ReservedNames.Contains(key.Name)) throw new ArgumentException($"'{key.Name}' is reserved for the command line", nameof(keys));
            if (!_byName.TryAdd(key.Name, key)) throw new ArgumentException($"'{key.Name}' is defined twice", nameof(keys));
            if (!_byEnvironment.TryAdd(key.EnvironmentName, key))
                throw new ArgumentException($"'{key.Name}' and '{_byEnvironment[key.EnvironmentName].Name}' share {key.EnvironmentName}", nameof(keys));
            _index[key] = i;
        }
    }

    /// <summary>The settings, in order.</summary>
    public IReadOnlyList<ConfigKey> Keys { get; }

    /// <summary>The setting named <paramref name="name"/> (as in a file), or null.</summary>
    public ConfigKey? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The setting read from environment variable <paramref name="variable"/>, or null.</summary>
    public ConfigKey? FindByEnvironment(string variable) => _byEnvironment.GetValueOrDefault(variable);

    internal int IndexOf(ConfigKey key) =>
        _index.TryGetValue(key, out int i) ? i : throw new ArgumentException($"'{key.Name}' is not in this schema", nameof(key));

    /// <summary>The closest setting name to a misspelt one, for "did you mean", or null when none is close.</summary>
    public ConfigKey? Suggest(string name) => Spelling.Closest(name, _byName.Keys) is { } best ? _byName[best] : null;
}
