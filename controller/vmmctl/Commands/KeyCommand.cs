using Vmm.Protocol;

namespace Vmm.Ctl.Commands;

/// <summary>vmmctl key: cluster key management.</summary>
internal static class KeyCommand
{
    private const string Help = """
        Usage: vmmctl key generate [FILE] [--force]

        Creates a new random 32-byte cluster key as 64 hex digits (spec/PROTOCOL.md §3.3).
        With FILE the key is written there with mode 0640 (refused if FILE exists, unless
        --force); without FILE it is printed. Every hostd, every controller and vmmctl pdu
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
            var options = new FileStreamOptions
            {
                Mode = FileMode.Create, Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead,
            };
            using (var f = new StreamWriter(path, System.Text.Encoding.ASCII, options)) f.Write(key.ToFileText());
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        }
        Console.Error.WriteLine($"vmmctl: new cluster key, key id 0x{key.Id:x2}");
        return Exit.Ok;
    }
}
