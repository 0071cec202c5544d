using SharpFuzz;
using Vmm.Fuzz;
using Vmm.Fuzz.Targets;

// Vmm.Fuzz TARGET                  run TARGET under afl-fuzz (fuzz/run.sh starts it so)
// Vmm.Fuzz --replay TARGET FILE... run TARGET on files and print what each did (triage)
// Vmm.Fuzz --make-seeds [REPO]     rewrite fuzz/corpus/ and fuzz/dict/ from the examples and spec/vectors/
return args switch
{
    ["--make-seeds"] => Seeds.Make(RepoRoot.Find()),
    ["--make-seeds", var root] => Seeds.Make(root),
    ["--replay", var name, .. var files] when FuzzTargets.All.ContainsKey(name) => Replay.Run(FuzzTargets.All[name], files),
    [var name] when FuzzTargets.All.ContainsKey(name) => Fuzz(FuzzTargets.All[name]),
    _ => Usage(),
};

static int Fuzz(FuzzTarget target)
{
    // afl-fuzz hands each input over as a stream; it is copied into one reused buffer so the loop allocates little.
    var buffer = new byte[1 << 20];
    Fuzzer.Run(stream =>
    {
        int n = 0, read;
        while ((read = stream.Read(buffer, n, buffer.Length - n)) > 0)
        {
            n += read;
            if (n == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
        }
        target(buffer.AsSpan(0, n));
    });
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine($"usage: Vmm.Fuzz TARGET | --replay TARGET FILE... | --make-seeds [REPO]   (targets: {string.Join(", ", FuzzTargets.All.Keys)})");
    return 2;
}
