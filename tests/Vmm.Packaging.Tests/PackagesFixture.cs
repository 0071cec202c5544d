namespace Vmm.Packaging.Tests;

/// <summary>One package file and the folder it was unpacked into.</summary>
public sealed record Package(string Name, string File, string Tree)
{
    /// <summary>The path of a file of the package, given as it is installed (etc/vmm/hostd.toml).</summary>
    public string PathOf(string installed) => Path.Combine(Tree, installed);
}

/// <summary>
/// Builds the .deb and .rpm packages once for the tests of the "packages" collection, with the scripts
/// `make deb` and `make rpm` run (packaging/build-deb.sh, build-rpm.sh) and the binaries of `make build`,
/// into a folder of its own, and unpacks each package (dpkg-deb -x and -e; rpm2cpio | cpio).
/// </summary>
public sealed class PackagesFixture : IDisposable
{
    public static readonly string[] Names = ["vmm-controller", "vmm-hostd"];

    private readonly string _root = Directory.CreateTempSubdirectory("vmm-packaging-tests-").FullName;

    public PackagesFixture()
    {
        foreach (var name in new[] { "vmmctl", "vmm-hostd", "vmm-controller" })
            if (!File.Exists(Path.Combine(Tool.BinDir, name)))
                throw new InvalidOperationException($"no out/{name}: the packages are made of the AOT binaries; run 'make build' first");
        Version = Tool.Check("bash", "packaging/version.sh").Trim();

        // The two builds share nothing but their inputs: run them side by side.
        var output = Path.Combine(_root, "packages");
        var deb = Task.Run(() => Tool.Run("bash", "packaging/build-deb.sh", Tool.BinDir, output));
        var rpm = Task.Run(() => Tool.Run("bash", "packaging/build-rpm.sh", Tool.BinDir, output));
        foreach (var (what, build) in new[] { ("build-deb.sh", deb.Result), ("build-rpm.sh", rpm.Result) })
            if (build.Exit != 0) throw new InvalidOperationException($"packaging/{what} failed: {build}");

        foreach (var name in Names)
        {
            var debFile = Path.Combine(output, $"{name}_{Version}_amd64.deb");
            var debTree = Directory.CreateDirectory(Path.Combine(_root, "deb", name)).FullName;
            Tool.Check("dpkg-deb", "-x", debFile, debTree);
            Tool.Check("dpkg-deb", "-e", debFile, Path.Combine(debTree, "DEBIAN"));
            Debs[name] = new Package(name, debFile, debTree);

            var rpmFile = Path.Combine(output, $"{name}-{Version}-1.x86_64.rpm");
            var rpmTree = Directory.CreateDirectory(Path.Combine(_root, "rpm", name)).FullName;
            var unpack = Tool.Run("bash", ["-c", "set -o pipefail; rpm2cpio \"$1\" | cpio -idm --quiet", "unpack", rpmFile], workingDirectory: rpmTree);
            if (unpack.Exit != 0) throw new InvalidOperationException($"cannot unpack {rpmFile}: {unpack}");
            Rpms[name] = new Package(name, rpmFile, rpmTree);
        }
    }

    /// <summary>Directory.Build.props' version, which the packages and the binaries carry.</summary>
    public string Version { get; }

    public Dictionary<string, Package> Debs { get; } = [];

    public Dictionary<string, Package> Rpms { get; } = [];

    public void Dispose() => Directory.Delete(_root, recursive: true);
}

[CollectionDefinition("packages")]
public sealed class PackagesCollection : ICollectionFixture<PackagesFixture>;
