using System.Text;
using Microsoft.Extensions.Configuration.Ini;

namespace Vmm.Hosting.Configuration.Internal;

/// <summary>
/// Reads an INI file with Microsoft.Extensions.Configuration.Ini (its rules for comments, quotes and sections),
/// and scans the lines itself for what that reader does not keep: the line of each key, and the line of a bad
/// one. <c>[tcp]</c> + <c>max = 5</c> sets <c>tcp.max</c>, as a dotted key at the top does.
/// </summary>
internal static class IniFile
{
    public static List<FileSetting> Read(string path, string text)
    {
        var lines = LinesOfKeys(path, text);
        IDictionary<string, string?> data;
        try
        {
            data = IniStreamConfigurationProvider.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        }
        catch (FormatException e)
        {
            // The scan above mirrors the reader's rules, so this is only a safety net.
            throw new ConfigException($"{path}: {e.Message}");
        }
        return data
            .Select(kv =>
            {
                var name = kv.Key.Replace(':', '.');
                return new FileSetting(name, RawValue.FromText(kv.Value ?? ""), lines.GetValueOrDefault(name));
            })
            .OrderBy(s => s.Line)
            .ToList();
    }

    /// <summary>
    /// The line of every key, following the reader's rules: lines are trimmed; blank lines and lines beginning
    /// with ';', '#' or '/' are comments; <c>[name]</c> opens a section; anything else must hold '='.
    /// Keys compare without regard to case, as the reader's do.
    /// </summary>
    private static Dictionary<string, int> LinesOfKeys(string path, string text)
    {
        var lines = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        string section = "";
        int number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is ';' or '#' or '/') continue;
            if (line[0] == '[' && line[^1] == ']')
            {
                section = line[1..^1].Trim();
                continue;
            }
            int eq = line.IndexOf('=');
            if (eq < 0)
                throw new ConfigException($"{path}:{number}: expected \"name = value\" or \"[section]\", not {RawValue.Quoted(line)}");
            var key = line[..eq].Trim();
            if (key.Length == 0) throw new ConfigException($"{path}:{number}: a value with no name before '='");
            var name = section.Length == 0 ? key : section + "." + key;
            if (!lines.TryAdd(name, number))
                throw new ConfigException($"{path}:{number}: {name}: set twice in this file (first on line {lines[name]})");
        }
        return lines;
    }
}
