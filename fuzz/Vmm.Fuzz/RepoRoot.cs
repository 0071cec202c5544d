namespace Vmm.Fuzz;

/// <summary>Finds the repository: the nearest folder holding Vmm.sln, from the working folder or the binary's.</summary>
internal static class RepoRoot
{
    public static string Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Vmm.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("no Vmm.sln above the working folder or the binary: pass the repository root");
    }
}
