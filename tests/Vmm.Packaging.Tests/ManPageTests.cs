namespace Vmm.Packaging.Tests;

/// <summary>The man pages in the .deb, rendered by man as a reader would see them.</summary>
[Collection("packages")]
public sealed class ManPageTests(PackagesFixture packages)
{
    public static TheoryData<string, string> Pages => new()
    {
        { "vmm-controller", "usr/share/man/man1/vmmctl.1.gz" },
        { "vmm-controller", "usr/share/man/man8/vmm-controller.8.gz" },
        { "vmm-hostd", "usr/share/man/man8/vmm-hostd.8.gz" },
    };

    private string Render(string package, string page)
    {
        var r = Tool.Run("man", ["--warnings", "-l", packages.Debs[package].PathOf(page)],
            env: new Dictionary<string, string> { ["MANWIDTH"] = "100", ["MAN_KEEP_FORMATTING"] = "", ["LC_ALL"] = "C.UTF-8" });
        Assert.True(r.Exit == 0 && r.Stderr.Length == 0, $"man -l {page}: {r}");
        // man's plain text still marks bold and underline with backspaces when not on a terminal.
        return System.Text.RegularExpressions.Regex.Replace(r.Stdout, ".\b", "");
    }

    [Theory, MemberData(nameof(Pages))]
    public void Renders_without_warnings_with_its_sections(string package, string page)
    {
        var text = Render(package, page);
        foreach (var section in new[] { "NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "FILES", "SEE ALSO" })
            Assert.Contains($"\n{section}\n", text);
        Assert.Contains(packages.Version, text);
    }

    [Theory]
    [InlineData("vmm-hostd", "usr/share/man/man8/vmm-hostd.8.gz")]
    [InlineData("vmm-controller", "usr/share/man/man8/vmm-controller.8.gz")]
    public void Daemon_page_describes_every_setting(string daemon, string page)
    {
        var text = Render(daemon, page);
        Assert.Contains("\nSETTINGS\n", text);
        Assert.Contains("\nSIGNALS\n", text);
        var help = Tool.Check(Path.Combine(Tool.BinDir, daemon), "--help");
        var settings = help.Split('\n').Where(l => l.StartsWith("  --", StringComparison.Ordinal)).Select(l => l.Trim().Split(' ')[0]).ToList();
        Assert.NotEmpty(settings);
        Assert.All(settings, s => Assert.Contains(s, text));
    }

    /// <summary>The machine that built the package does not leak into a default: it shows how it is derived.</summary>
    [Fact]
    public void Host_name_default_is_described_not_the_build_machines()
    {
        var text = Render("vmm-hostd", "usr/share/man/man8/vmm-hostd.8.gz");
        Assert.Contains("Default: this machine's host name;", text);
        Assert.DoesNotContain($"Default: {Environment.MachineName} ", text);
    }

    [Fact]
    public void Vmmctl_page_describes_every_command()
    {
        var text = Render("vmm-controller", "usr/share/man/man1/vmmctl.1.gz");
        var usages = new[] { "vm", "host" }
            .SelectMany(g => Tool.Check(Path.Combine(Tool.BinDir, "vmmctl"), g, "--help").Split('\n'))
            .Where(l => l.StartsWith("  vmmctl ", StringComparison.Ordinal))
            .Select(l => string.Join(' ', l.Trim().Split(' ').TakeWhile(w => w.All(c => c is >= 'a' and <= 'z'))))
            .ToList();
        Assert.True(usages.Count >= 20, $"only {usages.Count} commands in vmmctl's help");
        Assert.All(usages, u => Assert.Contains(u, text));
        Assert.Contains("\nCOMMANDS\n", text);
        Assert.Contains("\nEXIT STATUS\n", text);
        Assert.Contains("vmmctl key generate", text);
    }
}
