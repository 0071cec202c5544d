using Vmm.Ctl.Admin;
using Vmm.Ctl.Input;
using Vmm.Ctl.Output;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Ctl.Commands;

/// <summary>
/// One leaf command of a group (the "nic add" of vmmctl vm nic add): its words, its usage line and help,
/// the options it takes ("--to HOST" takes a value, "--force" does not) and what it does.
/// </summary>
internal sealed record Verb(string Words, string Usage, string Help, string[] Options, Func<Call, int> Run)
{
    public string[] WordList { get; } = Words.Length == 0 ? [] : Words.Split(' ');
}

/// <summary>Finds the verb a command line names, answers --help, checks its options and runs it.</summary>
internal static class Verbs
{
    /// <summary>Options every controller command takes (also before the command: see Cli).</summary>
    public const string SharedOptionsHelp = """
        Options of every controller command:
          --socket PATH    the controller's admin socket (default: $VMM_SOCKET, else /run/vmm/controller.sock)
          --json           a JSON document on stdout instead of a table or a line
        """;

    private static readonly string[] Shared = ["--socket PATH", "--json"];

    public static int Run(string group, string groupHelp, IReadOnlyList<Verb> verbs, string[] argv)
    {
        var valued = verbs.SelectMany(v => v.Options).Concat(Shared).Where(o => o.Contains(' ')).Select(OptionName).Distinct().ToArray();
        var args = new Args(argv, valued);
        var words = args.Positional;

        Verb? verb = null;
        foreach (var v in verbs)
            if (v.WordList.Length <= words.Count && v.WordList.SequenceEqual(words.Take(v.WordList.Length)) && (verb is null || v.WordList.Length > verb.WordList.Length))
                verb = v;
        if (verb is null)
        {
            if (words.Count == 0 || args.Has("--help"))
            {
                Console.Out.Write($"Usage:\n{string.Concat(verbs.Select(v => $"  {v.Usage}\n"))}\n{groupHelp}\n\n{SharedOptionsHelp}\n");
                return args.Has("--help") ? Exit.Ok : Exit.Usage;
            }
            // "vm nic" alone, or "vm nic frob": show what follows "nic".
            var near = verbs.Where(v => v.WordList.Length > 1 && v.WordList[0] == words[0]).ToList();
            if (near.Count > 0) throw new UsageException($"usage: {string.Join(" | ", near.Select(v => v.Usage))}");
            throw new UsageException($"unknown {group} command '{Validation.Shorten(words[0])}'; see 'vmmctl {group} --help'");
        }
        if (args.Has("--help"))
        {
            Console.Out.Write($"Usage: {verb.Usage}\n\n{verb.Help}\n\n{SharedOptionsHelp}\n");
            return Exit.Ok;
        }
        args.Allow([.. verb.Options.Concat(Shared).Select(OptionName)]);
        return verb.Run(new Call(verb, args, words.Skip(verb.WordList.Length).ToList()));
    }

    private static string OptionName(string option) => option.Split(' ')[0];
}

/// <summary>A verb being run: its options, its operands (the words after its name) and the controller.</summary>
internal sealed class Call(Verb verb, Args args, IReadOnlyList<string> operands)
{
    private AdminClient? _controller;

    public Args Args => args;

    public bool Json => args.Has("--json");

    public AdminClient Controller => _controller ??= new AdminClient(ControllerSocket.Resolve(args.Value("--socket")));

    /// <summary>The operands, when there are from <paramref name="min"/> to <paramref name="max"/> of them.</summary>
    public IReadOnlyList<string> Operands(int min, int max)
    {
        if (operands.Count < min || operands.Count > max) throw new UsageException($"usage: {verb.Usage}");
        return operands;
    }

    /// <summary>A valued option that must be given.</summary>
    public string Required(string option) =>
        args.Value(option) ?? throw new UsageException($"{option} is required; usage: {verb.Usage}");

    /// <summary>
    /// Runs a query and returns its records; a RESULT other than success ends the command with that
    /// result's exit code and one line naming <paramref name="action"/>.
    /// </summary>
    public QueryReply Query(QueryKind what, AttrList filters, string action)
    {
        var reply = Controller.Query(what, filters);
        if (reply.Result.Code != AckCode.Success)
            throw new AdminException(Exit.Of(reply.Result.Code), ResultOutput.Failure(reply.Result, action));
        return reply;
    }

    /// <summary>
    /// Submits a request and reports its RESULT (see <see cref="Report"/>). With --request-id ID the SUBMIT names
    /// that request (spec §7.4, critical: a controller that does not know it refuses rather than sending a new one).
    /// </summary>
    public int Submit(RequestCode code, string action, AttrList parameters, Func<AdminResultPdu, string?> done,
        RequestFlags flags = RequestFlags.None, bool showRequest = true)
    {
        if (args.Value("--request-id") is { } again)
            parameters.Add(new Attr { Type = AttrType.RequestId, Critical = true, Number = Checks.RequestId(again, "--request-id") });
        var result = Controller.Submit(new AdminSubmitPdu { Code = code, Flags = flags, Parameters = parameters });
        return Report(result, action, done, showRequest);
    }

    /// <summary>
    /// Reports a RESULT: with --json its document on stdout, whatever the outcome; a success as the line
    /// <paramref name="done"/> makes (none when it returns null), or for one that changed nothing the host's
    /// message and "(nothing to do)", followed by the request id; anything else as one line on stderr, and
    /// the exit code of its code.
    /// </summary>
    public int Report(AdminResultPdu result, string action, Func<AdminResultPdu, string?> done, bool showRequest = true)
    {
        if (Json) Output.Json.Write(w => ResultOutput.Document(w, result));
        if (result.Code != AckCode.Success) return Cli.Fail(Exit.Of(result.Code), ResultOutput.Failure(result, action));
        if (Json) return Exit.Ok;
        var flags = ResultOutput.Flags(result);
        string? line = flags.HasFlag(AckFlags.Unchanged)
            ? $"{result.Attributes.Text(AttrType.Message) ?? done(result)} (nothing to do)"
            : done(result);
        if (line is not null) Console.Out.Write(line + (showRequest ? ResultOutput.Request(result) : "") + "\n");
        return Exit.Ok;
    }
}
