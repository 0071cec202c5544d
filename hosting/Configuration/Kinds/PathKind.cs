namespace Vmm.Hosting.Configuration.Kinds;

/// <summary>
/// A file system path. A relative path is made absolute against the working directory when read, so that
/// --check-config shows the very file the daemon will open (under systemd the working directory is /).
/// </summary>
internal sealed class PathKind(bool allowEmpty = false) : ConfigKind<string>
{
    public override string Placeholder => "PATH";

    public override string Parse(string text)
    {
        if (text.Length == 0) return allowEmpty ? "" : throw new FormatException("must not be empty");
        if (text.Contains('\0')) throw new FormatException("a path cannot hold a NUL character");
        return Path.GetFullPath(text);
    }
}
