using System.Text.RegularExpressions;

namespace Vmm.Packaging.Tests;

/// <summary>packaging/etc/*.toml: every setting of the daemon, commented out at its default.</summary>
public sealed partial class ShippedConfigurationTests
{
    public static TheoryData<string> Daemons => new("hostd", "controller");

    [Theory, MemberData(nameof(Daemons))]
    public void Committed_file_is_what_render_config_makes_from_the_binary(string daemon)
    {
        var rendered = Tool.Check("bash", "packaging/etc/render-config.sh", Path.Combine(Tool.BinDir, $"vmm-{daemon}"));
        var committed = File.ReadAllText(Path.Combine(Tool.RepoRoot, "packaging", "etc", $"{daemon}.toml"));
        Assert.True(rendered == committed,
            $"packaging/etc/{daemon}.toml is out of date; run: packaging/etc/render-config.sh out/vmm-{daemon} > packaging/etc/{daemon}.toml");
    }

    [Theory, MemberData(nameof(Daemons))]
    public void Every_setting_uncommented_is_accepted_and_read_from_the_file(string daemon)
    {
        var shipped = File.ReadAllLines(Path.Combine(Tool.RepoRoot, "packaging", "etc", $"{daemon}.toml"));
        string dir = Directory.CreateTempSubdirectory("vmm-config-").FullName;
        // --check-config loads the key file as a start would: the shipped path (/etc/vmm/cluster.key) becomes a key
        // made for the test, still set in the file.
        string key = Path.Combine(dir, "cluster.key");
        Tool.Check(Path.Combine(Tool.BinDir, "vmmctl"), "key", "generate", key);
        var uncommented = shipped.Select(l => Setting().IsMatch(l) ? l[1..] : l)
            .Select(l => l.StartsWith("key-file = ", StringComparison.Ordinal) ? $"key-file = \"{key}\"" : l).ToArray();
        var file = Path.Combine(dir, $"{daemon}.toml");
        try
        {
            File.WriteAllLines(file, uncommented);
            var r = Tool.Run(Path.Combine(Tool.BinDir, $"vmm-{daemon}"), "--config", file, "--check-config");
            Assert.True(r.Exit == 0, $"vmm-{daemon} --check-config on every setting uncommented: {r}");
            var settings = r.Stdout.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
            Assert.NotEmpty(settings);
            // Each line ends with its source: the file and line, not "default".
            Assert.All(settings, l => Assert.Contains($"# {file}:", l));
            Assert.Equal(settings.Count, shipped.Count(l => Setting().IsMatch(l)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A commented-out setting: "#name = value".</summary>
    [GeneratedRegex("^#[a-z][a-z0-9-]* = ")]
    private static partial Regex Setting();
}
