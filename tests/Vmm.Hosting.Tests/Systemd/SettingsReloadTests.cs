using NLog;
using Vmm.Hosting.Configuration;
using Vmm.Hosting.Systemd;
using Vmm.Hosting.Tests.Support;

namespace Vmm.Hosting.Tests.Systemd;

public sealed class SettingsReloadTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly ConfigKey[] Applied = [TestSchema.Level, TestSchema.Controllers];

    private static string Bind(Config c) => c.Get(TestSchema.HostName);

    [Fact]
    public void Changes_are_read_from_the_same_file_environment_and_flags()
    {
        var file = _dir.Write("d.toml", "log-level = \"info\"\nhost-name = \"a\"\n");
        var env = new Dictionary<string, string?> { ["VMM_VERBOSE"] = "true" };
        var current = TestSchema.Load(file, env, "--heartbeat-interval", "2s");
        _dir.Write("d.toml", "log-level = \"debug\"\nhost-name = \"a\"\ncontrollers = [\"10.0.0.1\"]\n");
        var log = new CapturedLog();

        var reload = SettingsReload.TryLoad(current, Bind, Applied, log.Logger);

        Assert.NotNull(reload);
        Assert.Equal([TestSchema.Controllers, TestSchema.Level], reload.Changed);
        Assert.True(reload.HasChanged(TestSchema.Level));
        Assert.Equal(LogLevel.Debug, reload.Config.Get(TestSchema.Level));
        // The flag and the variable the process started with still apply.
        Assert.Equal(TimeSpan.FromSeconds(2), reload.Config.Get(TestSchema.HeartbeatInterval));
        Assert.True(reload.Config.Get(TestSchema.Verbose));
        Assert.Empty(log.Lines);   // both changes are applied: nothing needs a restart
    }

    [Fact]
    public void Each_change_that_is_not_applied_is_one_line_naming_the_key()
    {
        var file = _dir.Write("d.toml", "host-name = \"a\"\n");
        var current = TestSchema.Load(file);
        _dir.Write("d.toml", "host-name = \"b\"\nlisten = \"127.0.0.1:9\"\nlog-level = \"warn\"\n");
        var log = new CapturedLog();

        var reload = SettingsReload.TryLoad(current, Bind, Applied, log.Logger);

        Assert.Equal("b", reload!.Settings);
        Assert.Equal(
        [
            "WARN needs a restart: listen (now 127.0.0.1:9, running with 0.0.0.0:7401)",
            "WARN needs a restart: host-name (now b, running with a)",
        ], log.Lines);
    }

    [Fact]
    public void A_broken_file_is_one_error_line_and_no_reload()
    {
        var file = _dir.Write("d.toml", "host-name = \"a\"\n");
        var current = TestSchema.Load(file);
        _dir.Write("d.toml", "host-name = \"a\"\nlisten = [\n");
        var log = new CapturedLog();

        Assert.Null(SettingsReload.TryLoad(current, Bind, Applied, log.Logger));
        var line = Assert.Single(log.Lines);
        Assert.StartsWith("ERROR reload failed, still running with the settings loaded before: " + file + ":", line);
    }

    [Fact]
    public void A_binder_that_refuses_is_one_error_line_too()
    {
        var file = _dir.Write("d.toml", "host-name = \"a\"\n");
        var current = TestSchema.Load(file);
        var log = new CapturedLog();

        Assert.Null(SettingsReload.TryLoad<string>(current, c => throw c.Error(TestSchema.HostName, "taken"), Applied, log.Logger));
        Assert.Equal(["ERROR reload failed, still running with the settings loaded before: " + file + ":1: host-name: taken"], log.Lines);
    }

    [Fact]
    public void Nothing_changed_is_an_empty_list()
    {
        var file = _dir.Write("d.toml", "host-name = \"a\"\n");
        var current = TestSchema.Load(file);
        var reload = SettingsReload.TryLoad(current, Bind, Applied, new CapturedLog().Logger);
        Assert.Empty(reload!.Changed);
    }
}
