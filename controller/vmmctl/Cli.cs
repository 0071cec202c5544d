using System.Reflection;
using Vmm.Ctl.Admin;
using Vmm.Protocol;

namespace Vmm.Ctl;

/// <summary>Exit codes of vmmctl: the one place they are defined (documented in --help).</summary>
internal static class Exit
{
    public const int Ok = 0;
    /// <summary>The input was bad or the operation failed.</summary>
    public const int Failure = 1;
    /// <summary>The command line itself was wrong.</summary>
    public const int Usage = 2;
    /// <summary>The host's hypervisor cannot do it (RESULT unsupported).</summary>
    public const int Unsupported = 3;
    /// <summary>The request code is unknown to the host (RESULT unknown-request).</summary>
    public const int UnknownRequest = 4;
    /// <summary>Another operation on the VM is in flight (RESULT busy).</summary>
    public const int Busy = 5;
    /// <summary>No answer from the host in time; the outcome is unknown (RESULT timeout).</summary>
    public const int Timeout = 6;
    /// <summary>No such VM, host, snapshot, base image or network (RESULT not-found, from the controller or the host).</summary>
    public const int NotFound = 7;
    /// <summary>The host is down or unreachable, no host has room, the inventory warms up, or an HA VM may not start while
    /// its host's lease is not running (RESULT unavailable).</summary>
    public const int Unavailable = 8;
    /// <summary>The controller's socket is missing, refuses connections or may not be opened.</summary>
    public const int Unreachable = 9;

    /// <summary>The exit code for a RESULT's code; a code this vmmctl does not know is a failure.</summary>
    public static int Of(AckCode code) => code switch
    {
        AckCode.Success => Ok,
        AckCode.Unsupported => Unsupported,
        AckCode.UnknownRequest => UnknownRequest,
        AckCode.Busy => Busy,
        AckCode.Timeout => Timeout,
        AckCode.NotFound => NotFound,
        AckCode.Unavailable => Unavailable,
        _ => Failure,
    };
}

/// <summary>Top-level dispatch, --help and --version, and the one-line error convention.</summary>
internal static class Cli
{
    public const string Help = """
        vmmctl - drive a Vmm cluster

        Usage: vmmctl [--socket PATH] [--json] COMMAND [ARGS...]

        Commands (vmm-controller):
          host list                      the hosts the controller hears, with their facts
          host forget NAME               forget a host and its VMs now (it returns when it next reports)
          host drain HOST [--parallel N] mark HOST draining and live-migrate its VMs away; nothing stops
          host undrain HOST              clear the draining mark: placement may use HOST again
          vm list [--host H]             every VM, or the VMs of one host
          vm show VM                     one VM in detail (VM is a name or a uuid)
          vm create --name N ...         define a new VM (see vmmctl vm create --help)
          vm start|stop|restart|pause|resume|remove|delete VM
          vm migrate VM --to HOST        live migration
          vm nic add|remove, vm memory set, vm cpu add|remove|set,
          vm disk add|resize|remove, vm snapshot create|list|revert|delete
          watch [--host H]               one line for every change, as it happens
          events [--host H] [--vm V] [--since T] [--after ID] [--follow]
                                         the controller's recent history: host and VM
                                         changes, requests (who, outcome, time), decisions

        Commands (protocol tools):
          pdu encode TEXT...   encode PDUs from their text form (binary to stdout)
          pdu decode           decode PDUs from stdin (binary or hex) to their text form
          pdu listen PORT      print the STATE datagrams that arrive on a UDP port
          key generate [FILE]  create a new cluster master key (controllers)
          key derive HOST --key-file MASTER [FILE]
                               write HOST's own key (its hostd's key-file)

        Options:
          --socket PATH    the controller's admin socket (default: $VMM_SOCKET, else
                           /run/vmm/controller.sock)
          --json           a JSON document on stdout instead of a table (JSON lines for watch
                           and events --follow);
                           every size in it is in bytes
          -h, --help       show help (also after any command: vmmctl vm create --help)
          --version        show the version

        Exit status:
          0 success            5 busy: another operation on the VM is in flight
          1 failure            6 timeout: no answer from the host; the outcome is unknown
          2 usage error        7 not found: no such VM, host, snapshot, base image or network
          3 unsupported        8 unavailable: the host is down, no host has room, the
          4 unknown request      controller's inventory is warming up, or an HA VM's host has
                                 no running lease yet (retry; never "not found")
                               9 the controller is unreachable (no socket, refused, denied)
        The wire format is specified in spec/PROTOCOL.md.
        """;

    /// <summary>Options that every controller command takes, accepted before the command too.</summary>
    private static readonly string[] GlobalValued = ["--socket"];
    private static readonly string[] GlobalFlags = ["--json"];

    public static string Version =>
        typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static int Run(string[] args, Func<string, string[], int> dispatch)
    {
        try
        {
            args = MoveGlobalOptions(args);
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
            if (args[0].StartsWith('-')) return UsageError($"unknown option {args[0]}; see 'vmmctl --help'");
            return dispatch(args[0], args[1..]);
        }
        catch (UsageException e)
        {
            return UsageError(e.Message);
        }
        catch (AdminException e)
        {
            Console.Error.WriteLine($"vmmctl: {e.Message}");
            return e.ExitCode;
        }
        catch (IOException e)
        {
            return Fail(e.Message);
        }
    }

    /// <summary>
    /// Moves global options written before the command (vmmctl --socket S vm list) after it, where the
    /// command's own option reader takes them: every option is then read in one place.
    /// </summary>
    private static string[] MoveGlobalOptions(string[] args)
    {
        var moved = new List<string>();
        int i = 0;
        while (i < args.Length)
        {
            var a = args[i];
            string name = a.IndexOf('=') is > 0 and var eq ? a[..eq] : a;
            if (GlobalFlags.Contains(a)) moved.Add(args[i++]);
            else if (GlobalValued.Contains(name))
            {
                moved.Add(args[i++]);
                if (name == a)
                {
                    if (i == args.Length) throw new UsageException($"{name} needs a value");
                    moved.Add(args[i++]);
                }
            }
            else break;
        }
        if (moved.Count == 0) return args;
        if (i == args.Length) throw new UsageException("no command; see 'vmmctl --help'");
        return [args[i], .. args[(i + 1)..], .. moved];
    }

    public static int UsageError(string message)
    {
        Console.Error.WriteLine($"vmmctl: {message}");
        return Exit.Usage;
    }

    public static int Fail(string message) => Fail(Exit.Failure, message);

    public static int Fail(int exit, string message)
    {
        Console.Error.WriteLine($"vmmctl: {message}");
        return exit;
    }
}

/// <summary>A command line that does not fit the command's usage.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// A small option reader: flags and valued options anywhere, the rest positional. A valued option may be
/// given more than once (--disk, --nic); <see cref="Value"/> takes the last, <see cref="All"/> every one.
/// </summary>
internal sealed class Args
{
    private readonly List<string> _rest = [];
    private readonly Dictionary<string, List<string>> _values = [];

    public Args(IEnumerable<string> args, params string[] valued)
    {
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
                    if (!_values.TryGetValue(name, out var values)) _values[name] = values = [];
                    values.Add(value);
                }
                else if (eq > 0) throw new UsageException($"option {name} takes no value");
                else Flags.Add(name);
            }
            else if (a is "-h") Flags.Add("--help");
            else _rest.Add(a);
        }
    }

    public HashSet<string> Flags { get; } = [];
    public IReadOnlyList<string> Positional => _rest;

    public bool Has(string flag) => Flags.Contains(flag);
    public string? Value(string name) => _values.TryGetValue(name, out var v) ? v[^1] : null;
    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var v) ? v : [];

    /// <summary>
    /// Refuses options outside <paramref name="known"/> (flags and valued options alike), so a typo or an
    /// option of another command is an error rather than ignored.
    /// </summary>
    public void Allow(params string[] known)
    {
        foreach (var f in Flags)
            if (!known.Contains(f) && f != "--help") throw new UsageException($"unknown option {f}");
        foreach (var v in _values.Keys)
            if (!known.Contains(v)) throw new UsageException($"option {v} does not apply here");
    }
}
