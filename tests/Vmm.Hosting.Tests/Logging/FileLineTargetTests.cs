using NLog;
using NLog.Config;
using Vmm.Hosting.Configuration;
using Vmm.Hosting.Logging;
using Vmm.Hosting.Tests.Support;

namespace Vmm.Hosting.Tests.Logging;

/// <summary>The log-file target, on a factory of its own (the process-wide Log belongs to LogTests).</summary>
public sealed class FileLineTargetTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (LogFactory Factory, Logger Log) Factory(FileLineTarget target)
    {
        var factory = new LogFactory();
        var config = new LoggingConfiguration(factory);
        config.AddRule(LogLevel.Info, LogLevel.Fatal, target);
        factory.Configuration = config;
        return (factory, factory.GetLogger("hostd"));
    }

    [Fact]
    public void Lines_are_appended_timestamped_one_an_event()
    {
        string path = _dir.Write("vmm.log", "an earlier line\n");
        var (factory, log) = Factory(new FileLineTarget(path, withStackTrace: false));
        log.Info("first");
        log.Warn("second\nline");
        log.Debug("hidden");
        factory.Shutdown();

        var lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        Assert.Equal("an earlier line", lines[0]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO hostd: first$", lines[1]);
        Assert.EndsWith(" WARN hostd: second\\nline", lines[2]);
    }

    [Fact]
    public void A_new_file_is_created_for_its_owner_and_group_to_read_not_others()
    {
        string path = _dir["new.log"];
        new FileLineTarget(path, withStackTrace: false).Dispose();
        var mode = File.GetUnixFileMode(path);
        Assert.True(mode.HasFlag(UnixFileMode.UserRead | UnixFileMode.UserWrite), mode.ToString());
        Assert.Equal((UnixFileMode)0, mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.GroupWrite));
    }

    [Fact]
    public void After_logrotate_renames_the_file_a_new_target_writes_a_new_file()
    {
        string path = _dir["vmm.log"];
        var (oldFactory, oldLog) = Factory(new FileLineTarget(path, false));
        oldLog.Info("before");
        File.Move(path, path + ".1");
        oldLog.Info("still the old file");
        oldFactory.Shutdown();
        var (newFactory, newLog) = Factory(new FileLineTarget(path, false));
        newLog.Info("after");
        newFactory.Shutdown();

        Assert.Equal(2, File.ReadAllLines(path + ".1").Length);
        Assert.EndsWith("INFO hostd: after", Assert.Single(File.ReadAllLines(path)));
    }

    [Fact]
    public void A_file_that_cannot_be_opened_throws_at_once()
    {
        Assert.ThrowsAny<IOException>(() => new FileLineTarget(_dir["no/such/folder/vmm.log"], false));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("/var/log/vmm/hostd.log", "/var/log/vmm/hostd.log")]
    public void The_log_file_setting_is_a_path_or_empty(string text, string value) =>
        Assert.Equal(value, Log.FileKey.TypedKind.Parse(text));

    [Fact]
    public void The_log_file_setting_makes_a_relative_path_absolute_and_refuses_a_folder()
    {
        Assert.Equal(Path.GetFullPath("x.log"), Log.FileKey.TypedKind.Parse("x.log"));
        var e = Assert.Throws<FormatException>(() => Log.FileKey.TypedKind.Parse("/var/log/"));
        Assert.Contains("directory", e.Message);
    }
}
