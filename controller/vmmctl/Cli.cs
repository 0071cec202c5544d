using System.Reflection;

namespace Vmm.Ctl;

/// <summary>Exit codes of vmmctl (documented in README.md and --help).</summary>
internal static class Exit
{
    public const int Ok = 0;
    /// <summary>The input was bad or the operation failed.</summary>
    public const int Failure = 1;
    /// <summary>The command line itself was wrong.</summary>
    public const int Usage = 2;
}

/// <summary>Top-level dispatch, --help and --version, and the one-line error convention.</summary>
internal static class Cli
{
    public const string Help = """
        vmmctl - drive a Vmm cluster

        Usage: vmmctl COMMAND [ARGS...]

        Commands:
          pdu encode TEXT...   encode PDUs from their text form (binary to stdout)
          pdu decode           decode PDUs from stdin (binary or hex) to their text form
          key generate [FILE]  create a new cluster key
          (host, vm and watch commands arrive with vmm-controller)

        Options:
          -h, --help       show help (also after any command: vmmctl pdu --help)
          --version        show the version

        Exit status: 0 success, 1 failure (bad input, a PDU that does not verify),
        2 usage error. The wire format is specified in spec/PROTOCOL.md.
        """;

    public static string Version =>
        typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static int Run(string[] args, Func<string, string[], int> dispatch)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                Console.Out.Write(Help + "\n");
                return args.Length == 0 ? Exit.Usage : Exit.Ok;
            }
            if (args[0] == "--version")
            {
                Console.Out.WriteLine($"vmmctl {Version}");
                return Exit.Ok;
            }
            return dispatch(args[0], args[1..]);
        }
        catch (UsageException e)
        {
            return UsageError(e.Message);
        }
        catch (IOException e)
        {
            return Fail(e.Message);
        }
    }

    public static int UsageError(string message)
    {
        Console.Error.WriteLine($"vmmctl: {message}");
        return Exit.Usage;
    }

    public static int Fail(string message)
    {
        Console.Error.WriteLine($"vmmctl: {message}");
        return Exit.Failure;
    }
}

/// <summary>A command line that does not fit the command's usage.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A small option reader: flags and valued options anywhere, the rest positional.</summary>
internal sealed class Args
{
    private readonly List<string> _rest;

    public Args(IEnumerable<string> args, params string[] valued)
    {
        _rest = [];
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (a == "--")
            {
                _rest.AddRange(list.Skip(i + 1));
                break;
            }
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                int eq = a.IndexOf('=');
                string name = eq > 0 ? a[..eq] : a;
                if (valued.Contains(name))
                {
                    string value = eq > 0 ? a[(eq + 1)..]
                        : i + 1 < list.Count ? list[++i] : throw new UsageException($"{name} needs a value");
                    Values[name] = value;
                }
                else if (eq > 0) throw new UsageException($"option {name} takes no value");
                else Flags.Add(name);
            }
            else if (a is "-h") Flags.Add("--help");
            else _rest.Add(a);
        }
    }

    public HashSet<string> Flags { get; } = [];
    public Dictionary<string, string> Values { get; } = [];
    public IReadOnlyList<string> Positional => _rest;

    public bool Has(string flag) => Flags.Contains(flag);
    public string? Value(string name) => Values.GetValueOrDefault(name);

    /// <summary>Refuses flags outside <paramref name="known"/>, so a typo is an error rather than ignored.</summary>
    public void Allow(params string[] known)
    {
        foreach (var f in Flags)
            if (!known.Contains(f) && f != "--help") throw new UsageException($"unknown option {f}");
    }
}
