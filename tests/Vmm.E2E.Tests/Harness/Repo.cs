using System.Runtime.CompilerServices;

namespace Vmm.E2E.Harness;

/// <summary>Paths in the repository: the AOT binaries of `make build` and the scripts under tests/tools.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>out/NAME, built by `make build`.</summary>
    public static string Bin(string name)
    {
        string path = Path.Combine(Root, "out", name);
        return File.Exists(path) ? path : throw new E2EException($"{path} is missing: run `make build` first");
    }

    public static string Tool(string name) => Path.Combine(Root, "tests", "tools", name);

    private static string FindRoot([CallerFilePath] string here = "")
    {
        // The source tree when it is there (a test run from the repository), else up from the binaries.
        foreach (var start in new[] { Path.GetDirectoryName(here), AppContext.BaseDirectory })
        {
            for (var dir = start is null ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Vmm.sln"))) return dir.FullName;
        }
        throw new E2EException("cannot find the repository (no Vmm.sln above the test binaries)");
    }
}
