using Vmm.Protocol;

namespace Vmm.Ctl.Commands;

/// <summary>vmmctl key: cluster key management.</summary>
internal static class KeyCommand
{
    private const string Help = """
        Usage: vmmctl key generate [FILE] [--force]

        Creates a new random 32-byte cluster key as 64 hex digits (spec/PROTOCOL.md §3.3).
        With FILE the key is written there with mode 0640 (refused if FILE exists, unless
        --force; a missing folder is made, mode 0750); without FILE it is printed. Every hostd, every controller and vmmctl pdu
        --key-file must read the same key. The key id it will carry is printed on stderr.
        """;

    public static int Run(string[] argv)
    {
        var args = new Args(argv);
        args.Allow("--force");
        if (args.Has("--help") || args.Positional.Count == 0)
        {
            Console.Out.Write(Help + "\n");
            return args.Has("--help") ? Exit.Ok : Exit.Usage;
        }
        if (args.Positional[0] != "generate" || args.Positional.Count > 2)
            throw new UsageException("usage: vmmctl key generate [FILE] [--force]");

        var key = ClusterKey.Generate();
        if (args.Positional.Count == 1)
        {
            Console.Out.Write(key.ToFileText());
        }
        else
        {
            string path = args.Positional[1];
            if (File.Exists(path) && !args.Has("--force"))
                return Cli.Fail($"{path} exists; a new key would lock out every daemon using the old one (use --force to replace it)");
            try
            {
                WriteKeyFile(path, key.ToFileText());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Cli.Fail($"cannot write {path}: {e.Message}");
            }
        }
        Console.Error.WriteLine($"vmmctl: new cluster key, key id 0x{key.Id:x2}");
        return Exit.Ok;
    }

    /// <summary>
    /// Writes a key file, mode 0640, making its missing folders (mode 0750: a key's folder is no one else's to
    /// list). Whatever stops it is an exception with a one-line message.
    /// </summary>
    private static void WriteKeyFile(string path, string text)
    {
        const UnixFileMode FileMode0640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        const UnixFileMode FolderMode0750 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
        var missing = new Stack<string>();
        for (string? dir = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(dir) && !Path.Exists(dir); dir = Path.GetDirectoryName(dir))
            missing.Push(dir);
        // One level at a time, so that every folder made gets the mode, not only the last.
        while (missing.TryPop(out var dir)) Directory.CreateDirectory(dir, FolderMode0750);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = FileMode0640 };
        using (var f = new StreamWriter(path, System.Text.Encoding.ASCII, options)) f.Write(text);
        File.SetUnixFileMode(path, FileMode0640);
    }
}
