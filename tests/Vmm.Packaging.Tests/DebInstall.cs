namespace Vmm.Packaging.Tests;

/// <summary>
/// One run of tests/tools/deb-install.sh on the packages of <see cref="PackagesFixture"/>: dpkg installs,
/// upgrades and purges them, maintainer scripts and all, in a throwaway copy of this machine (overlayfs in
/// private namespaces), and the script prints what it found as KEY=VALUE lines. The run is made once, by
/// the first test that asks (it takes a while), and shared by the tests of <see cref="DebInstallTests"/>;
/// the state of the real machine is taken just before and just after it.
/// </summary>
internal sealed class DebInstall
{
    private static readonly Lock Gate = new();
    private static Lazy<DebInstall>? _run;

    private readonly Dictionary<string, string> _facts = new(StringComparer.Ordinal);

    private DebInstall(Tool.Result result, MachineState before, MachineState after, TimeSpan took)
    {
        Result = result;
        Before = before;
        After = after;
        Took = took;
        foreach (var line in result.Stdout.Split('\n'))
        {
            int eq = line.IndexOf('=');
            if (eq > 0) _facts[line[..eq]] = line[(eq + 1)..];
        }
    }

    /// <summary>What the script printed and its exit code.</summary>
    public Tool.Result Result { get; }

    /// <summary>The real machine before and after the run.</summary>
    public MachineState Before { get; }

    public MachineState After { get; }

    public TimeSpan Took { get; }

    /// <summary>The run for these packages, made on the first call.</summary>
    public static DebInstall Of(PackagesFixture packages)
    {
        lock (Gate)
            _run ??= new Lazy<DebInstall>(() => Run(packages));
        return _run.Value;
    }

    private static DebInstall Run(PackagesFixture packages)
    {
        var before = MachineState.Capture();
        var started = DateTime.UtcNow;
        var result = Tool.Run("bash",
            [Path.Combine(Tool.RepoRoot, "tests", "tools", "deb-install.sh"),
             packages.Debs["vmm-controller"].File, packages.Debs["vmm-hostd"].File],
            timeoutSeconds: 300);
        var took = DateTime.UtcNow - started;
        return new DebInstall(result, before, MachineState.Capture(), took);
    }

    /// <summary>
    /// A fact the script printed. The test fails with one line, then the script's output, when the run did
    /// not complete (a prerequisite missing, a step failed) or the fact is not there.
    /// </summary>
    public string this[string key]
    {
        get
        {
            AssertCompleted();
            Assert.True(_facts.TryGetValue(key, out var value), $"deb-install.sh printed no {key}=\n{Result}");
            return value!;
        }
    }

    /// <summary>A fact that is a space-separated list.</summary>
    public string[] List(string key) => this[key].Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Fails with the script's own one-line reason (MISSING=, FAILED=) and its output.</summary>
    public void AssertCompleted()
    {
        if (Result.Exit == 0 && _facts.GetValueOrDefault("done") == "yes") return;
        var reason = _facts.TryGetValue("MISSING", out var missing) ? $"cannot run: {missing}"
            : _facts.TryGetValue("FAILED", out var failed) ? $"step failed: {failed}"
            : $"exited {Result.Exit} before it was done";
        Assert.Fail($"deb-install.sh {reason}\n{Result}");
    }

    /// <summary>Fails naming the fact, its value and what was expected, with the script's output.</summary>
    public void AssertEqual(string expected, string key) =>
        Assert.True(this[key] == expected, $"{key} is '{this[key]}', expected '{expected}'\n{Result}");

    /// <summary>The condition must hold; the message names what it checked.</summary>
    public void AssertThat(bool condition, string message) => Assert.True(condition, $"{message}\n{Result}");
}

/// <summary>What the install must not change on the real machine.</summary>
internal sealed record MachineState(string User, string Group, bool EtcVmm, string Packages, string Units, string RmemMax)
{
    public static MachineState Capture()
    {
        static string Getent(string database)
        {
            var r = Tool.Run("getent", database, "vmm");
            return r.Exit == 0 ? r.Stdout.Trim() : "absent";
        }

        var packages = Tool.Run("dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n", "vmm-*");
        var units = new[] { "/lib/systemd/system", "/etc/systemd/system/multi-user.target.wants" }
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFileSystemEntries(d, "vmm-*"))
            .Order(StringComparer.Ordinal);
        return new MachineState(
            User: Getent("passwd"),
            Group: Getent("group"),
            EtcVmm: Directory.Exists("/etc/vmm"),
            Packages: packages.Exit == 0 ? packages.Stdout.Trim() : "none",
            Units: string.Join(' ', units),
            RmemMax: File.ReadAllText("/proc/sys/net/core/rmem_max").Trim());
    }
}
