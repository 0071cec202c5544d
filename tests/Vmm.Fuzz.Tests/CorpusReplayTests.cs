using Vmm.Fuzz.Targets;

namespace Vmm.Fuzz.Tests;

/// <summary>
/// Replays fuzz/corpus/TARGET/ (committed seeds, and any minimized corpus) and fuzz/findings/TARGET/ (crash inputs
/// fuzz/run.sh copied, when present) through the very targets afl-fuzz runs: no input may crash its target.
/// </summary>
public sealed class CorpusReplayTests
{
    public static TheoryData<string> Targets => [.. FuzzTargets.All.Keys];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_corpus_file_passes_its_target(string target)
    {
        var files = Files(Path.Combine(Repo.Root, "fuzz", "corpus", target));
        Assert.True(files.Length > 0, $"fuzz/corpus/{target}/ is empty: remake the seeds with `dotnet run --project fuzz/Vmm.Fuzz -- --make-seeds`");
        AssertNoCrash(target, files);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_finding_passes_its_target(string target) =>
        AssertNoCrash(target, Files(Path.Combine(Repo.Root, "fuzz", "findings", target)));

    [Fact]
    public void Every_target_has_a_corpus_folder_and_every_corpus_folder_a_target()
    {
        var folders = Directory.GetDirectories(Path.Combine(Repo.Root, "fuzz", "corpus")).Select(Path.GetFileName).Order();
        Assert.Equal(FuzzTargets.All.Keys.Order(), folders);
    }

    private static string[] Files(string dir) =>
        Directory.Exists(dir) ? [.. Directory.GetFiles(dir).Order(StringComparer.Ordinal)] : [];

    private static void AssertNoCrash(string target, string[] files)
    {
        var run = FuzzTargets.All[target];
        var crashes = new List<string>();
        foreach (var file in files)
        {
            try { run(File.ReadAllBytes(file)); }
            catch (Exception e) { crashes.Add($"{Path.GetFileName(file)}: {e.GetType().Name}: {e.Message}"); }
        }
        Assert.True(crashes.Count == 0,
            $"{crashes.Count} of {files.Length} inputs crash the {target} target (replay one: dotnet fuzz/out/bin/Vmm.Fuzz.dll --replay {target} FILE):\n"
            + string.Join('\n', crashes));
    }
}
