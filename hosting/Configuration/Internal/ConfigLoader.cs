namespace Vmm.Hosting.Configuration.Internal;

/// <summary>
/// Applies the layers of <see cref="ConfigSources"/> in order. Every value is parsed in the layer that gives it,
/// so a bad value is reported even when a later layer overrides it: a typo must not wait for the day the
/// override is removed. A default is parsed only when nothing overrides it (a computed default, such as the
/// machine's host name, may be invalid where the operator has set the value).
/// </summary>
internal static class ConfigLoader
{
    public const string DefaultSource = "default";

    public static Config Load(ConfigSchema schema, ConfigSources sources)
    {
        var values = new (object Value, string Source)?[schema.Keys.Count];
        var files = new List<string>();
        var warnings = new List<string>();

        string main = sources.MainFile;
        if (File.Exists(main))
        {
            ApplyFile(schema, main, values);
            files.Add(main);
        }
        else if (Directory.Exists(main))
            throw new ConfigException($"{main}: is a directory, not a configuration file");
        else if (sources.File is not null)
            throw new ConfigException($"{main}: no such file");

        foreach (var dropIn in DropIns(sources.DropInFolder))
        {
            ApplyFile(schema, dropIn, values);
            files.Add(dropIn);
        }

        // Sorted, so that which of two bad variables is reported does not depend on the environment's order.
        foreach (var (variable, text) in sources.Environment.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!variable.StartsWith("VMM_", StringComparison.Ordinal) || text is null) continue;
            if (schema.FindByEnvironment(variable) is { } key)
                Set(values, schema, key, RawValue.FromText(text), variable, variable);
            else if (schema.Suggest(variable[4..].ToLowerInvariant().Replace('_', '-')) is { } near)
                warnings.Add($"{variable} is not a setting of this program (did you mean {near.EnvironmentName}?); ignored");
        }

        foreach (var flag in sources.Flags)
            Set(values, schema, flag.Key, RawValue.FromText(flag.Value), flag.Key.Flag, flag.Key.Flag);

        var entries = new ConfigEntry[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            var key = schema.Keys[i];
            if (values[i] is { } v)
            {
                entries[i] = new ConfigEntry(key, v.Value, v.Source);
                continue;
            }
            try
            {
                entries[i] = new ConfigEntry(key, key.Convert(RawValue.FromText(key.DefaultText)), DefaultSource);
            }
            catch (FormatException e)
            {
                throw new ConfigException($"{Where(key, DefaultSource)}: {e.Message}; set {key.Name} explicitly");
            }
        }
        return new Config(schema, entries, files, warnings, sources);
    }

    /// <summary>
    /// How a message names a setting set by <paramref name="source"/>: "FILE:LINE: name" for a file, the
    /// variable or flag alone (it already spells the name), "name (default)" for a default.
    /// </summary>
    public static string Where(ConfigKey key, string source) =>
        source == DefaultSource ? $"{key.Name} (default{(key.DefaultNote is { } note ? ": " + note : "")})"
        : source == key.EnvironmentName || source == key.Flag ? source
        : $"{source}: {key.Name}";

    /// <summary>The drop-ins to apply: files ending in .toml or .ini, in ordinal name order (as systemd does).</summary>
    private static IEnumerable<string> DropIns(string folder)
    {
        if (!Directory.Exists(folder)) return [];
        try
        {
            return Directory.GetFiles(folder)
                .Where(f => FormatOf(f) is not null)
                .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
                .ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{folder}: {e.Message}");
        }
    }

    private static string? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".toml" => "toml",
        ".ini" => "ini",
        _ => null,
    };

    private static void ApplyFile(ConfigSchema schema, string path, (object, string)?[] values)
    {
        var format = FormatOf(path) ?? throw new ConfigException($"{path}: unknown file type {Path.GetExtension(path)} (name it .toml or .ini)");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: {e.Message}");
        }
        var settings = format == "toml"
            ? TomlFile.Read(path, text, name => schema.Find(name) is not null)
            : IniFile.Read(path, text);
        foreach (var setting in settings)
        {
            var where = $"{path}:{setting.Line}";
            var key = schema.Find(setting.Name)
                ?? throw new ConfigException($"{where}: unknown setting {RawValue.Quoted(setting.Name)}"
                    + (schema.Suggest(setting.Name) is { } near ? $" (did you mean \"{near.Name}\"?)" : ""));
            Set(values, schema, key, setting.Value, where, $"{where}: {key.Name}");
        }
    }

    private static void Set((object, string)?[] values, ConfigSchema schema, ConfigKey key, RawValue raw, string source, string where)
    {
        try
        {
            values[schema.IndexOf(key)] = (key.Convert(raw), source);
        }
        catch (FormatException e)
        {
            throw new ConfigException($"{where}: {e.Message}");
        }
    }
}
