using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Vmm.Hosting.Configuration.Internal;

/// <summary>
/// Reads a TOML file through Tomlyn's syntax tree (no reflection, so AOT-safe), which keeps the line of every
/// key for messages. Tables and dotted keys become dotted setting names: <c>[tcp]</c> + <c>max = 5</c> and
/// <c>tcp.max = 5</c> both set <c>tcp.max</c>.
/// </summary>
internal static class TomlFile
{
    /// <param name="path">The file, for messages.</param>
    /// <param name="text">Its content.</param>
    /// <param name="isSetting">Whether a dotted name is a setting: an inline table there is a wrong type, elsewhere a section.</param>
    public static List<FileSetting> Read(string path, string text, Func<string, bool> isSetting)
    {
        // validate: the semantic checks too (a key defined twice, a table reopened), not only the grammar.
        var document = SyntaxParser.Parse(text, path, validate: true);
        foreach (var diagnostic in document.Diagnostics)
        {
            if (diagnostic.Kind != DiagnosticMessageKind.Error) continue;
            var at = diagnostic.Span.Start;
            throw new ConfigException($"{path}:{at.Line + 1}:{at.Column + 1}: {Sentence(diagnostic.Message)}");
        }

        var settings = new List<FileSetting>();
        foreach (var kv in document.KeyValues) Add(settings, path, "", kv, isSetting);
        foreach (var table in document.Tables)
        {
            var name = Name(table.Name!);
            if (table is TableArraySyntax)
                throw new ConfigException($"{path}:{table.Span.Start.Line + 1}: [[{name}]]: arrays of tables are not used in this file");
            foreach (var kv in table.Items) Add(settings, path, name + ".", kv, isSetting);
        }
        return settings;
    }

    private static void Add(List<FileSetting> settings, string path, string prefix, KeyValueSyntax kv, Func<string, bool> isSetting)
    {
        var name = prefix + Name(kv.Key!);
        if (kv.Value is InlineTableSyntax inline && !isSetting(name))
        {
            foreach (var inner in inline.Items) Add(settings, path, name + ".", inner.KeyValue!, isSetting);
            return;
        }
        settings.Add(new FileSetting(name, Raw(kv.Value!), kv.Span.Start.Line + 1));
    }

    private static string Name(KeySyntax key)
    {
        var name = Part(key.Key);
        foreach (var dotted in key.DotKeys) name += "." + Part(dotted.Key);
        return name;
    }

    private static string Part(BareKeyOrStringValueSyntax? part) => part switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? "",
        StringValueSyntax quoted => quoted.Value ?? "",
        _ => "",
    };

    private static RawValue Raw(ValueSyntax value) => value switch
    {
        StringValueSyntax s => new RawValue(RawType.String, s.Value ?? ""),
        IntegerValueSyntax i => new RawValue(RawType.Integer, i.Token?.Text ?? "", Integer: i.Value),
        BooleanValueSyntax b => new RawValue(RawType.Boolean, b.Value ? "true" : "false", Boolean: b.Value),
        FloatValueSyntax f => new RawValue(RawType.Float, f.Token?.Text ?? ""),
        DateTimeValueSyntax d => new RawValue(RawType.DateTime, d.Token?.Text ?? ""),
        ArraySyntax a => new RawValue(RawType.Array, "", Items: a.Items.Select(item => Raw(item.Value!)).ToArray()),
        _ => new RawValue(RawType.Table, ""),
    };

    /// <summary>Tomlyn's messages begin with a capital; ours continue a line after "file:line:col: ".</summary>
    private static string Sentence(string message) =>
        message.Length > 1 && char.IsUpper(message[0]) && !char.IsUpper(message[1])
            ? char.ToLowerInvariant(message[0]) + message[1..]
            : message;
}
