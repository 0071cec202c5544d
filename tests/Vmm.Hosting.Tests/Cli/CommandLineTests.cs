using Vmm.Hosting.Cli;
using Vmm.Hosting.Configuration;
using static Vmm.Hosting.Tests.Support.TestSchema;

namespace Vmm.Hosting.Tests.Cli;

public sealed class CommandLineTests
{
    private static string ParseError(params string[] args) =>
        Assert.Throws<ConfigException>(() => CommandLine.Parse(args, Schema)).Message;

    [Fact]
    public void No_arguments_means_run_with_nothing_set()
    {
        var line = CommandLine.Parse([], Schema);
        Assert.Equal(new CommandLine(CliAction.Run, null, []) with { Flags = line.Flags }, line);
        Assert.Empty(line.Flags);
    }

    [Fact]
    public void Settings_flags_take_a_value_separately_or_after_equals()
    {
        var line = CommandLine.Parse(["--listen", "127.0.0.1:1", "--libvirt-uri=test:///default", "--tcp.max-connections=7"], Schema);
        Assert.Equal([new ConfigFlag(Listen, "127.0.0.1:1"), new ConfigFlag(LibvirtUri, "test:///default"), new ConfigFlag(MaxConnections, "7")], line.Flags);
    }

    [Fact]
    public void Value_after_equals_may_contain_equals_and_be_empty()
    {
        var line = CommandLine.Parse(["--controllers=", "--host-name=a=b"], Schema);
        Assert.Equal("", line.Flags[0].Value);
        Assert.Equal("a=b", line.Flags[1].Value);
    }

    [Fact]
    public void A_switch_alone_is_true_and_never_swallows_the_next_argument()
    {
        var line = CommandLine.Parse(["--verbose", "--listen", "[::1]:2"], Schema);
        Assert.Equal([new ConfigFlag(Verbose, "true"), new ConfigFlag(Listen, "[::1]:2")], line.Flags);
        Assert.Equal("false", CommandLine.Parse(["--verbose=false"], Schema).Flags[0].Value);
    }

    [Fact]
    public void Config_and_check_config()
    {
        var line = CommandLine.Parse(["--check-config", "--config", "/etc/x.ini"], Schema);
        Assert.Equal(CliAction.CheckConfig, line.Action);
        Assert.Equal("/etc/x.ini", line.ConfigFile);
        Assert.Equal("/y.toml", CommandLine.Parse(["--config=/y.toml"], Schema).ConfigFile);
    }

    [Fact]
    public void Help_and_version_win_over_anything_else()
    {
        Assert.Equal(CliAction.Help, CommandLine.Parse(["--bogus", "-h"], Schema).Action);
        Assert.Equal(CliAction.Help, CommandLine.Parse(["--version", "--help"], Schema).Action);
        Assert.Equal(CliAction.Version, CommandLine.Parse(["--listen", "x", "--version"], Schema).Action);
    }

    [Fact]
    public void Unknown_flags_are_errors_with_a_suggestion_when_close()
    {
        Assert.Equal("unknown option --libvirt-url (did you mean --libvirt-uri?)", ParseError("--libvirt-url", "x"));
        Assert.Equal("unknown option --listn (did you mean --listen?)", ParseError("--listn=1"));
        Assert.Equal("unknown option --colour", ParseError("--colour", "red"));
        Assert.Equal("unknown option -v", ParseError("-v"));
    }

    [Fact]
    public void Missing_values_and_stray_arguments_are_errors()
    {
        Assert.Equal("--listen needs a value (ADDRESS:PORT)", ParseError("--listen"));
        Assert.Equal("--listen needs a value (ADDRESS:PORT)", ParseError("--listen", "--verbose"));
        Assert.Equal("--config needs a value (FILE)", ParseError("--config"));
        Assert.Equal("--config needs a file name", ParseError("--config="));
        Assert.Equal("--check-config takes no value", ParseError("--check-config=yes"));
        Assert.Equal("unexpected argument start (settings are given as --name VALUE)", ParseError("start"));
        Assert.Equal("unexpected argument -- (settings are given as --name VALUE)", ParseError("--"));
    }
}

public sealed class HelpTextTests
{
    [Fact]
    public void Help_lists_usage_options_and_every_setting_with_default_and_variable()
    {
        var help = HelpText.For(Daemon, Schema);

        Assert.StartsWith("vmm-test 9.9.9 - a test daemon\n\nUsage: vmm-test [--config FILE] [--check-config] [--SETTING VALUE]...\n", help);
        Assert.Contains("--config FILE    read settings from FILE (default /nonexistent/vmm/test.toml; may be missing)", help);
        foreach (var key in Schema.Keys)
        {
            Assert.Contains($"\n  {key.Flag} {key.Kind.Placeholder}\n      {key.Description}\n", help);
            Assert.Contains($"env: {key.EnvironmentName}\n", help);
        }
        Assert.Contains("default: 1s; 100ms..1m; env: VMM_HEARTBEAT_INTERVAL", help);
        Assert.Contains("default: none; default port 7400; env: VMM_CONTROLLERS", help);
        Assert.Contains("default: node1 (a note); env: VMM_HOST_NAME", help);
        Assert.Contains("default: info; error|warn|info|debug|trace; env: VMM_LOG_LEVEL", help);
        Assert.EndsWith("Exit status: 0 success, 1 failure while running, 2 usage or configuration error.\n", help);
    }

    [Fact]
    public void Help_lines_fit_a_terminal()
    {
        foreach (var line in HelpText.For(Daemon, Schema).Split('\n'))
            Assert.True(line.Length <= 100, line);
    }
}
