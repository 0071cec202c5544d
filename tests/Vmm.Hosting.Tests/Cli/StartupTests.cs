using Vmm.Hosting.Cli;
using Vmm.Hosting.Configuration;
using Vmm.Hosting.Tests.Support;
using static Vmm.Hosting.Tests.Support.TestSchema;

namespace Vmm.Hosting.Tests.Cli;

public sealed class StartupTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed record Settings(HostPort Listen, bool Verbose);

    private static Settings Bind(Config c) => new(c.Get(Listen), c.Get(Verbose));

    private Startup<Settings> Start(params string[] args) =>
        Startup.Load(Daemon with { DefaultConfigFile = _dir["test.toml"] }, Schema, args, Env(("VMM_VERBOSE", "yes")), Bind);

    private static (int Code, string Out, string Err) Exit<T>(Startup<T> start) where T : class
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = start.Exit(stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Run_gives_bound_settings_and_their_config()
    {
        var start = Start("--listen", "127.0.0.1:9");

        Assert.True(start.ShouldRun);
        Assert.Equal(new Settings(new HostPort("127.0.0.1", 9), true), start.Settings);
        Assert.Equal("VMM_VERBOSE", start.Config.SourceOf(Verbose));
    }

    [Fact]
    public void Help_goes_to_stdout_with_exit_0()
    {
        var (code, stdout, stderr) = Exit(Start("--help"));
        Assert.Equal(0, code);
        Assert.Contains("Usage: vmm-test", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void Version_is_name_and_version()
    {
        Assert.Equal((0, "vmm-test 9.9.9\n", ""), Exit(Start("--version")));
    }

    [Fact]
    public void Check_config_prints_the_listing_with_exit_0()
    {
        _dir.Write("test.toml", "listen = \"127.0.0.1:5\"\n");
        var (code, stdout, stderr) = Exit(Start("--check-config"));
        Assert.Equal(0, code);
        Assert.Contains($"# {_dir["test.toml"]}:1\n", stdout);
        Assert.Contains("# VMM_VERBOSE\n", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void Usage_and_config_errors_are_one_prefixed_line_on_stderr_with_exit_2()
    {
        _dir.Write("test.toml", "listen = \"nowhere:x\"\n");
        Assert.Equal((2, "", $"vmm-test: {_dir["test.toml"]}:1: listen: \"nowhere:x\": the port must be a number from 0 to 65535\n"), Exit(Start()));
        Assert.Equal((2, "", "vmm-test: unknown option --lisen (did you mean --listen?)\n"), Exit(Start("--lisen", "x")));
        Assert.Equal((2, "", $"vmm-test: {_dir["test.toml"]}:1: listen: \"nowhere:x\": the port must be a number from 0 to 65535\n"), Exit(Start("--check-config")));
    }

    [Fact]
    public void Error_from_bind_is_located_where_the_value_was_set()
    {
        var start = Startup.Load(Daemon, Schema, ["--listen=127.0.0.1:5"], Env(), c => c.Get(Listen).Port < 10 ? throw c.Error(Listen, "port below 10") : c);
        Assert.Equal((2, "", "vmm-test: --listen: port below 10\n"), Exit(start));
    }

    [Fact]
    public void Process_environment_snapshot_holds_the_variables()
    {
        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), Startup.ProcessEnvironment()["PATH"]);
    }
}
