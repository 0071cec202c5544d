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
        // --check-config loads the key file as a start would: the shipped path becomes a key made for the test (the
        // master for the controller, the host key of the file's host-name for hostd), still set in the file.
        var uncommented = shipped.Select(l => Setting().IsMatch(l) ? l[1..] : l).ToList();
        string key = Installed.KeyFor(daemon, dir, uncommented.FirstOrDefault(l => l.StartsWith("host-name = ", StringComparison.Ordinal))?.Split('"')[1]);
        uncommented = uncommented.Select(l => l.StartsWith("key-file = ", StringComparison.Ordinal) ? $"key-file = \"{key}\"" : l).ToList();
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
