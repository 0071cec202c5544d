using Vmm.Hosting.Configuration.Internal;
using Vmm.Protocol;

namespace Vmm.Hosting.Configuration.Kinds;

/// <summary>
/// A <see cref="HostPort"/>. A listening endpoint (<paramref name="listen"/>) must be an IP address, and may
/// use port 0 (any free port: what tests want). With <paramref name="allowEmpty"/>, empty text is
/// <see cref="HostPort.None"/> (a listener that is off).
/// </summary>
internal sealed class EndpointKind(int defaultPort, bool listen, bool allowEmpty = false) : ConfigKind<HostPort>
{
    public override string Placeholder => listen ? "ADDRESS:PORT" : "HOST:PORT";

    public override string Constraint => allowEmpty ? $"default port {defaultPort}; empty: off" : $"default port {defaultPort}";

    public override string Format(HostPort value) => value.IsSet ? value.ToString() : "";

    public override HostPort Parse(string text)
    {
        if (allowEmpty && text.Trim().Length == 0) return HostPort.None;
        if (!HostPort.TryParse(text, defaultPort, out var value, out var problem, allowPortZero: listen))
            throw new FormatException(problem);
        if (listen && value.Address is null)
            throw new FormatException($"{RawValue.Quoted(text)}: listen on an IP address (0.0.0.0 or [::] for every address), not a host name");
        return value;
    }
}

/// <summary><c>name=host[:port]</c>, the name checked as a protocol name (spec §3.3).</summary>
internal sealed class NamedEndpointKind(int defaultPort) : ConfigKind<NamedEndpoint>
{
    private readonly EndpointKind _endpoint = new(defaultPort, listen: false);

    public override string Placeholder => "NAME=HOST:PORT";

    public override string Constraint => $"default port {defaultPort}";

    public override NamedEndpoint Parse(string text)
    {
        int eq = text.IndexOf('=');
        if (eq < 0) throw new FormatException($"{RawValue.Quoted(text)} is not name=host[:port]");
        var name = text[..eq].Trim();
        if (Validation.NameProblem(name, "host name") is { } problem) throw new FormatException(problem);
        return new NamedEndpoint(name, _endpoint.Parse(text[(eq + 1)..].Trim()));
    }
}

/// <summary>
/// A list: a TOML array of strings, or the items separated by commas in text (flags, environment, INI).
/// Empty text is the empty list. An item listed twice is refused: it is a copy-paste slip, not a wish.
/// </summary>
internal sealed class ListKind<T>(ConfigKind<T> item, Func<T, string>? identity = null) : ConfigKind<IReadOnlyList<T>> where T : notnull
{
    public override string Placeholder => item.Placeholder + ",...";

    public override string? Constraint => item.Constraint;

    public override IReadOnlyList<T> Parse(string text)
    {
        if (text.Trim().Length == 0) return [];
        return Checked(text.Split(',').Select(s => item.Parse(s.Trim())).ToArray());
    }

    public override string Format(IReadOnlyList<T> value) => string.Join(",", value.Select(item.Format));

    internal override IReadOnlyList<T> Convert(RawValue raw)
    {
        if (raw.Type != RawType.Array) return base.Convert(raw);
        var items = new T[raw.Items!.Count];
        for (int i = 0; i < items.Length; i++)
        {
            var element = raw.Items[i];
            items[i] = element.Type == RawType.String ? item.Parse(element.Text)
                : throw new FormatException($"item {i + 1}: expected a string ({item.Placeholder}), not {element.Describe()}");
        }
        return Checked(items);
    }

    internal override string FormatToml(IReadOnlyList<T> value) =>
        "[" + string.Join(", ", value.Select(v => TomlText.Quote(item.Format(v)))) + "]";

    private T[] Checked(T[] items)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in items)
        {
            var id = identity is null ? item.Format(v) : identity(v);
            if (!seen.Add(id)) throw new FormatException($"{RawValue.Quoted(id)} is listed twice");
        }
        return items;
    }
}
