using Vmm.Hosting.Configuration.Internal;
using Vmm.Protocol;

namespace Vmm.Hosting.Configuration.Kinds;

/// <summary>Free text without control characters; empty only where the setting says empty means unset.</summary>
internal sealed class TextKind(bool allowEmpty) : ConfigKind<string>
{
    public override string Placeholder => "TEXT";

    public override string Parse(string text)
    {
        if (text.Length == 0 && !allowEmpty) throw new FormatException("must not be empty");
        if (!Validation.IsText(text)) throw new FormatException($"{RawValue.Quoted(text)} holds control characters");
        return text;
    }
}

/// <summary>
/// A URI such as libvirt's <c>qemu:///system</c> or <c>qemu+ssh://host/system</c>: checked for the
/// <c>scheme://</c> form here, so a bare path or host name is caught at start-up, not at first use.
/// </summary>
internal sealed class UriTextKind(bool allowEmpty) : ConfigKind<string>
{
    public override string Placeholder => "URI";

    public override string Parse(string text)
    {
        if (text.Length == 0)
            return allowEmpty ? text : throw new FormatException("must not be empty");
        if (!text.Contains("://", StringComparison.Ordinal) || !Uri.TryCreate(text, System.UriKind.Absolute, out _)
            || !Validation.IsText(text) || text.Contains(' '))
            throw new FormatException($"{RawValue.Quoted(text)} is not a URI (e.g. qemu:///system)");
        return text;
    }
}

/// <summary>A protocol name (spec §3.3): what a host or pool is called on the wire.</summary>
internal sealed class NameKind(bool allowEmpty) : ConfigKind<string>
{
    public override string Placeholder => "NAME";

    public override string Parse(string text)
    {
        if (text.Length == 0 && allowEmpty) return text;
        return Validation.NameProblem(text, "name") is { } problem ? throw new FormatException(problem) : text;
    }
}
