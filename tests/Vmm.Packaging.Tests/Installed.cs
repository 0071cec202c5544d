namespace Vmm.Packaging.Tests;

/// <summary>Checks that hold for an unpacked package whatever its format.</summary>
internal static class Installed
{
    /// <summary>Every binary answers --version with its name and the package's version.</summary>
    public static void BinariesReportTheirVersion(Package package, string version)
    {
        foreach (var binary in Contents.Binaries(package.Name))
        {
            var r = Tool.Run(package.PathOf($"usr/bin/{binary}"), "--version");
            Assert.True(r.Exit == 0, $"{binary} --version: {r}");
            Assert.Equal($"{binary} {version}", r.Stdout.Trim());
        }
    }

    /// <summary>
    /// A key file in <paramref name="dir"/> of the kind <paramref name="daemon"/> ("hostd", "vmm-hostd", ...) holds: the
    /// cluster master key, or the host key of <paramref name="host"/> derived from one (spec §3.3), made by vmmctl.
    /// </summary>
    public static string KeyFor(string daemon, string dir, string? host)
    {
        string vmmctl = Path.Combine(Tool.BinDir, "vmmctl"), master = Path.Combine(dir, "cluster.key");
        Tool.Check(vmmctl, "key", "generate", master);
        if (!daemon.EndsWith("hostd", StringComparison.Ordinal)) return master;
        string hostKey = Path.Combine(dir, "host.key");
        Tool.Check(vmmctl, "key", "derive", host ?? throw new ArgumentException("a hostd key needs its host name"), "--key-file", master, hostKey);
        return hostKey;
    }

    /// <summary>
    /// The daemon accepts the configuration file the package ships, and reads it. --check-config loads the key as a
    /// start does; the key the package makes at install (/etc/vmm/cluster.key) is not made by unpacking, so a key of
    /// the test's is named by a flag. Without it, --check-config refuses the missing key in one line, exit 2.
    /// </summary>
    public static void DaemonAcceptsItsShippedConfiguration(Package package)
    {
        var (daemon, config) = Contents.Of(package.Name);
        var file = package.PathOf(config);
        string dir = Directory.CreateTempSubdirectory("vmm-key-").FullName;
        try
        {
            string[] hostName = daemon == "vmm-hostd" ? ["--host-name", "hv-pkg"] : [];
            string key = KeyFor(daemon, dir, "hv-pkg");
            var r = Tool.Run(package.PathOf($"usr/bin/{daemon}"), ["--config", file, .. hostName, "--key-file", key, "--check-config"]);
            Assert.True(r.Exit == 0, $"{daemon} --config {file} --check-config: {r}");
            Assert.Contains($"# files read, in order: {file}", r.Stdout);

            string missing = Path.Combine(dir, "none.key");
            r = Tool.Run(package.PathOf($"usr/bin/{daemon}"), ["--config", file, .. hostName, "--key-file", missing, "--check-config"]);
            Assert.True(r.Exit == 2 && r.Stdout == "" && r.Stderr.TrimEnd().Split('\n').Length == 1 && r.Stderr.Contains(missing),
                $"{daemon} --check-config with a missing key file: {r}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The binaries are the ones `make build` made, byte for byte: no strip or dwz rewrote them (the
    /// AOT link strips them already), and no symbol file (NAME.dbg) came along.
    /// </summary>
    public static void BinariesAreTheBuiltOnes(Package package)
    {
        foreach (var binary in Contents.Binaries(package.Name))
            Assert.True(File.ReadAllBytes(package.PathOf($"usr/bin/{binary}")).AsSpan()
                .SequenceEqual(File.ReadAllBytes(Path.Combine(Tool.BinDir, binary))), $"usr/bin/{binary} differs from out/{binary}");
        var dbg = Directory.EnumerateFiles(package.Tree, "*.dbg", SearchOption.AllDirectories).ToList();
        Assert.True(dbg.Count == 0, $"symbol files shipped: {string.Join(", ", dbg)}");
    }

    /// <summary>The unit is the one in packaging/systemd/, unchanged.</summary>
    public static void UnitIsTheRepositorys(Package package, string unitDir)
    {
        var unit = $"{Contents.Of(package.Name).Daemon}.service";
        Assert.Equal(File.ReadAllText(Path.Combine(Tool.RepoRoot, "packaging", "systemd", unit)),
            File.ReadAllText(package.PathOf($"{unitDir}/{unit}")));
    }

    public static void HoldsEveryFile(Package package, IEnumerable<string> files)
    {
        var missing = files.Where(f => !File.Exists(package.PathOf(f))).ToList();
        Assert.True(missing.Count == 0, $"{Path.GetFileName(package.File)} lacks {string.Join(", ", missing)}");
    }
}
