using NLog;
using NLog.Config;

namespace Vmm.Hosting.Logging;

/// <summary>
/// Logging for the daemons: NLog configured in code, one line per event on stderr, in the journal's format
/// when systemd connects stderr to it. Loggers come from a private <see cref="LogFactory"/> that starts with
/// an empty configuration, so NLog never looks for an NLog.config file to load (a file would change output
/// behind the operator's back and needs reflection that Native AOT lacks).
/// </summary>
public static class Log
{
    private static readonly LogFactory Factory = CreateFactory();

    /// <summary>
    /// Writes events at <paramref name="level"/> and above to <paramref name="output"/> (stderr by default).
    /// May be called again to change the level or output; loggers already handed out follow.
    /// </summary>
    /// <param name="level">The least severe level written (error, warn, info, debug or trace).</param>
    /// <param name="style">The line format; <see cref="LogStyle.Auto"/> looks at the process environment.</param>
    /// <param name="output">Where lines go; tests pass a <see cref="StringWriter"/>.</param>
    public static void Configure(LogLevel level, LogStyle style = LogStyle.Auto, TextWriter? output = null)
    {
        bool journal = (style == LogStyle.Auto ? DetectStyle(Environment.GetEnvironmentVariable("JOURNAL_STREAM")) : style) == LogStyle.Journal;
        var target = new LineTarget(output ?? Console.Error, journal, withStackTrace: level <= LogLevel.Debug) { Name = "stderr" };
        var config = new LoggingConfiguration(Factory);
        config.AddRule(level, LogLevel.Fatal, target, "*");
        Factory.Configuration = config;
    }

    /// <summary>
    /// The style for a process whose <c>JOURNAL_STREAM</c> variable is <paramref name="journalStream"/>:
    /// systemd sets it when stderr goes to the journal (systemd.exec(5)), and only then.
    /// </summary>
    public static LogStyle DetectStyle(string? journalStream) =>
        string.IsNullOrEmpty(journalStream) ? LogStyle.Timestamped : LogStyle.Journal;

    /// <summary>The logger named <paramref name="name"/> (e.g. "hostd.libvirt"); its name starts each line.</summary>
    public static Logger For(string name) => Factory.GetLogger(name);

    private static LogFactory CreateFactory()
    {
        var factory = new LogFactory();
        // Set before any logger exists: a factory with a configuration does not search for a file.
        factory.Configuration = new LoggingConfiguration(factory);
        return factory;
    }

    /// <summary>Writes out anything buffered and detaches the targets; call once on the way out.</summary>
    public static void Shutdown() => Factory.Shutdown();
}
