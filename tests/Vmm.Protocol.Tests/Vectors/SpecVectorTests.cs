// Every example in the spec is a file under spec/vectors/ that this class checks: an example no test
// checks drifts. One test case per file, so each vector passes or fails on its own.
namespace Vmm.Protocol.Tests.Vectors;

public sealed class SpecVectorTests
{
    private const string None = "(spec/vectors holds no .vec files)";

    /// <summary>The repository root: the nearest folder above the test binaries that holds Vmm.sln.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Vmm.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Vmm.sln above {AppContext.BaseDirectory}");
    }

    public static string VectorDir => Path.Combine(RepoRoot(), "spec", "vectors");

    public static TheoryData<string> Files() => FilesIn(VectorDir);

    /// <summary>The .vec files of <paramref name="dir"/>, or one placeholder case that fails when there are none.</summary>
    public static TheoryData<string> FilesIn(string dir)
    {
        var files = Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*.vec").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray()
            : [];
        return files.Length == 0 ? new TheoryData<string>(None) : new TheoryData<string>(files);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Spec_vector_holds(string file) => Check(VectorDir, file);

    internal static void Check(string dir, string file)
    {
        Assert.False(file == None, $"{dir} holds no .vec files: every example of spec/PROTOCOL.md must be a vector there");
        Vector.Parse(file, File.ReadAllText(Path.Combine(dir, file))).Check();
    }
}
