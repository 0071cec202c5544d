namespace Vmm.Fuzz.Tests;

/// <summary>The repository the tests run from: the nearest folder above the test binary that holds Vmm.sln.</summary>
internal static class Repo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Vmm.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no Vmm.sln above {AppContext.BaseDirectory}");
    }
}
