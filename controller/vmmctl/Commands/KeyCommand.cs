using Vmm.Protocol;

namespace Vmm.Ctl.Commands;

/// <summary>vmmctl key: the cluster master key and the host keys derived from it (spec §3.3).</summary>
internal static class KeyCommand
{
    private const string Help = """
        Usage: vmmctl key generate [FILE] [--force]
               vmmctl key derive HOST --key-file MASTER [FILE] [--force]

        generate  Creates a new random 32-byte cluster master key (spec/PROTOCOL.md §3.3).
                  Controllers hold it (key-file); no hostd ever does.
        derive    Derives the host key of HOST from the master key in MASTER: what HOST's
                  hostd holds as its key-file (/etc/vmm/host.key). A host's key signs only
                  for that host, so a compromised hypervisor cannot speak for another.

        With FILE the key is written there with mode 0640 (refused if FILE exists, unless
        --force; a missing folder is made, mode 0750); without FILE it is printed. The key id it will
        carry is printed on stderr.
        """;

    public static int Run(string[] argv)
    {
        var args = new Args(argv, "--key-file");
        args.Allow("--force", "--key-file");
        if (args.Has("--help") || args.Positional.Count == 0)
        {
            Console.Out.Write(Help + "\n");
            return args.Has("--help") ? Exit.Ok : Exit.Usage;
        }
        KeyFileContents made;
        string? path;
        switch (args.Positional[0])
        {
            case "generate" when args.Positional.Count <= 2 && args.Value("--key-file") is null:
                made = new KeyFileContents(ClusterKey.Generate(), null);
                path = args.Positional.Count == 2 ? args.Positional[1] : null;
                break;
            case "derive" when args.Positional.Count is 2 or 3:
                string host = args.Positional[1];
                if (Validation.NameProblem(host, "HOST") is { } problem) throw new UsageException(problem);
                if (args.Value("--key-file") is not { } masterFile) throw new UsageException("key derive needs --key-file MASTER (the cluster master key)");
                var master = Load(masterFile);
                if (!master.IsMaster)
                    return Cli.Fail($"{masterFile} holds {master.Describe()}; host keys are derived from the cluster master key");
                made = new KeyFileContents(master.Key.DeriveHostKey(host), host);
                path = args.Positional.Count == 3 ? args.Positional[2] : null;
                break;
            default:
                throw new UsageException("usage: vmmctl key generate [FILE] [--force] | vmmctl key derive HOST --key-file MASTER [FILE] [--force]");
        }

        if (path is null)
        {
            Console.Out.Write(made.ToFileText());
        }
        else
        {
            if (File.Exists(path) && !args.Has("--force"))
                return Cli.Fail($"{path} exists; a new key would lock out every daemon using the old one (use --force to replace it)");
            try
            {
                WriteKeyFile(path, made.ToFileText());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Cli.Fail($"cannot write {path}: {e.Message}");
            }
        }
        Console.Error.WriteLine(made.IsMaster
            ? $"vmmctl: new cluster master key, key id 0x{made.Key.Id:x2}"
            : $"vmmctl: host key of {made.Host}, key id 0x{made.Key.Id:x2}");
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

    /// <summary>A key file, or an IOException (one line) saying why it cannot be read.</summary>
    internal static KeyFileContents Load(string path)
    {
        try { return KeyFileContents.Load(path); }
        catch (FormatException e) { throw new IOException(e.Message); }
    }
}
