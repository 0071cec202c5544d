using Vmm.Hosting.Configuration;

namespace Vmm.Hosting.Logging;

/// <summary>A log file path made absolute as <c>ConfigKinds.Path</c> does, or empty for none.</summary>
internal sealed class LogFileKind : ConfigKind<string>
{
    public override string Placeholder => "PATH";

    public override string Parse(string text)
    {
        if (text.Length == 0) return "";
        if (text.Contains('\0')) throw new FormatException("a path cannot hold a NUL character");
        if (text.EndsWith('/')) throw new FormatException($"{text} is a directory; name a file in it");
        return System.IO.Path.GetFullPath(text);
    }
}
