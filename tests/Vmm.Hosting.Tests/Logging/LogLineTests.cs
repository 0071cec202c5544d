using NLog;
using Vmm.Hosting.Logging;

namespace Vmm.Hosting.Tests.Logging;

public sealed class LogLineTests
{
    private static LogEventInfo Event(LogLevel level, string message, Exception? ex = null) =>
        new(level, "hostd.libvirt", message)
        {
            TimeStamp = new DateTime(2026, 11, 24, 13, 0, 0, 123, DateTimeKind.Utc),
            Exception = ex,
        };

    [Fact]
    public void Timestamped_line_is_utc_iso_time_level_logger_and_message()
    {
        Assert.Equal("2026-11-24T13:00:00.123Z INFO hostd.libvirt: connected", LogLine.Format(Event(LogLevel.Info, "connected"), journal: false, withStackTrace: false));
        Assert.Equal("2026-11-24T13:00:00.123Z WARN hostd.libvirt: slow", LogLine.Format(Event(LogLevel.Warn, "slow"), false, false));
    }

    [Fact]
    public void Local_timestamps_are_written_in_utc()
    {
        var e = Event(LogLevel.Info, "m");
        e.TimeStamp = new DateTime(2026, 11, 24, 13, 0, 0, 123, DateTimeKind.Utc).ToLocalTime();
        Assert.StartsWith("2026-11-24T13:00:00.123Z ", LogLine.Format(e, false, false));
    }

    [Theory]
    [InlineData("Fatal", 2)]
    [InlineData("Error", 3)]
    [InlineData("Warn", 4)]
    [InlineData("Info", 6)]
    [InlineData("Debug", 7)]
    [InlineData("Trace", 7)]
    public void Journal_line_is_the_syslog_priority_then_logger_and_message_without_time(string level, int priority)
    {
        Assert.Equal($"<{priority}>hostd.libvirt: m", LogLine.Format(Event(LogLevel.FromString(level), "m"), journal: true, withStackTrace: false));
    }

    [Fact]
    public void Structured_message_templates_are_rendered()
    {
        var e = new LogEventInfo(LogLevel.Info, "c", null, "vm {Name} on {Host} is {State}", ["web1", "h1", "running"]);
        Assert.EndsWith("c: vm web1 on h1 is running", LogLine.Format(e, true, false));
    }

    [Fact]
    public void Newlines_in_messages_and_exceptions_stay_on_one_line()
    {
        var ex = new InvalidOperationException("outer\nline", new IOException("inner"));
        var line = LogLine.Format(Event(LogLevel.Error, "two\r\nlines", ex), journal: true, withStackTrace: false);
        Assert.Equal("<3>hostd.libvirt: two\\nlines: InvalidOperationException: outer\\nline ---> IOException: inner", line);
    }

    [Fact]
    public void Stack_traces_only_when_asked_and_still_on_one_line()
    {
        Exception thrown;
        try { throw new InvalidOperationException("boom"); } catch (Exception e) { thrown = e; }
        var line = LogLine.Format(Event(LogLevel.Error, "failed", thrown), journal: false, withStackTrace: true);
        Assert.DoesNotContain('\n', line);
        Assert.Contains("System.InvalidOperationException: boom\\n   at ", line);
    }
}

/// <summary>The one class that configures the process-wide <see cref="Log"/>; xunit runs its tests one at a time.</summary>
public sealed class LogTests : IDisposable
{
    public void Dispose() => Log.Configure(LogLevel.Off, LogStyle.Timestamped, TextWriter.Null);

    [Fact]
    public void Configure_writes_events_at_the_level_and_above_one_line_each()
    {
        var output = new StringWriter();
        Log.Configure(LogLevel.Info, LogStyle.Journal, output);
        var log = Log.For("test.one");

        log.Debug("hidden");
        log.Info("shown {Count}", 3);
        log.Error("bad");

        Assert.Equal("<6>test.one: shown 3\n<3>test.one: bad\n", output.ToString());
    }

    [Fact]
    public void Reconfiguring_changes_level_for_loggers_already_handed_out()
    {
        var log = Log.For("test.two");
        var first = new StringWriter();
        Log.Configure(LogLevel.Warn, LogStyle.Journal, first);
        log.Info("quiet");
        var second = new StringWriter();
        Log.Configure(LogLevel.Trace, LogStyle.Timestamped, second);
        log.Trace("loud");

        Assert.Equal("", first.ToString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z TRACE test\.two: loud\n$", second.ToString());
    }

    [Theory]
    [InlineData(null, null, LogStyle.Timestamped)]
    [InlineData("", "socket:[12345]", LogStyle.Timestamped)]
    [InlineData("8:12345", null, LogStyle.Journal)]
    [InlineData("8:12345", "socket:[12345]", LogStyle.Journal)]
    // Inherited from a unit whose ExecStart sent stderr elsewhere: a file, a pipe, another socket.
    [InlineData("8:12345", "/var/log/vmm/hostd.log", LogStyle.Timestamped)]
    [InlineData("8:12345", "pipe:[12345]", LogStyle.Timestamped)]
    [InlineData("8:12345", "socket:[99999]", LogStyle.Timestamped)]
    public void Journal_style_only_when_stderr_is_the_stream_systemd_named_in_JOURNAL_STREAM(string? value, string? stderr, LogStyle style) =>
        Assert.Equal(style, Log.DetectStyle(value, stderr));
}
