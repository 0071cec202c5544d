using NLog;
using NLog.Config;
using Vmm.Hosting.Configuration;

namespace Vmm.Hosting.Logging;

/// <summary>
/// Logging for the daemons: NLog configured in code, one line per event on stderr, in the journal's format
/// when systemd connects stderr to it, and optionally the same events, timestamped, appended to a file. Loggers come from a private <see cref="LogFactory"/> that starts with
/// an empty configuration, so NLog never looks for an NLog.config file to load (a file would change output
/// behind the operator's back and needs reflection that Native AOT lacks).
/// </summary>
public static class Log
{
    private static readonly LogFactory Factory = CreateFactory();

    /// <summary>
    /// The log-file setting, the same for every daemon: a file to append lines to as well as stderr, empty
    /// for none. Put it in the daemon's schema and pass its value to <see cref="Configure"/>.
    /// </summary>
    public static readonly ConfigKey<string> FileKey = new("log-file", new LogFileKind(), "",
        "file to append log lines to, as well as stderr (empty: none; SIGHUP applies a new one, reopens it)");

    private static readonly Lock Gate = new();
    private static FileLineTarget? _file;

    /// <summary>
    /// Writes events at <paramref name="level"/> and above to <paramref name="output"/> (stderr by default),
    /// and to <paramref name="file"/> when one is named. May be called again (a reload) to change the level,
    /// output or file; loggers already handed out follow, and the file is opened anew, so one renamed by
    /// logrotate is let go. When the file cannot be opened, throws <see cref="IOException"/> with one line
    /// naming it and changes nothing.
    /// </summary>
    /// <param name="level">The least severe level written (error, warn, info, debug or trace).</param>
    /// <param name="style">The line format; <see cref="LogStyle.Auto"/> looks at the process environment.</param>
    /// <param name="output">Where lines go; tests pass a <see cref="StringWriter"/>.</param>
    /// <param name="file">A file to append timestamped lines to, or null or empty for none.</param>
    public static void Configure(LogLevel level, LogStyle style = LogStyle.Auto, TextWriter? output = null, string? file = null)
    {
        bool journal = (style == LogStyle.Auto ? DetectStyle(Environment.GetEnvironmentVariable("JOURNAL_STREAM"), StderrTarget()) : style) == LogStyle.Journal;
        bool withStackTrace = level <= LogLevel.Debug;
        lock (Gate)
        {
            FileLineTarget? fileTarget = null;
            if (!string.IsNullOrEmpty(file))
            {
                try
                {
                    fileTarget = new FileLineTarget(file, withStackTrace) { Name = "file" };
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new IOException($"log-file {file}: {e.Message}", e);
                }
            }
            var target = new LineTarget(output ?? Console.Error, journal, withStackTrace) { Name = "stderr" };
            var config = new LoggingConfiguration(Factory);
            config.AddRule(level, LogLevel.Fatal, target, "*");
            if (fileTarget is not null) config.AddRule(level, LogLevel.Fatal, fileTarget, "*");
            Factory.Configuration = config;
            // Replacing the configuration stops using the old file; closing it is ours to make sure of.
            _file?.Dispose();
            _file = fileTarget;
        }
    }

    /// <summary>
    /// The style for a process whose <c>JOURNAL_STREAM</c> variable is <paramref name="journalStream"/> and
    /// whose stderr is <paramref name="stderrTarget"/> (the link /proc/self/fd/2, e.g. <c>socket:[12345]</c>).
    /// systemd sets the variable to the device and inode of the journal's stream, "DEV:INODE", when it connects
    /// stdout or stderr to the journal, and a child inherits it even after its stderr went elsewhere (a shell
    /// redirect in a unit's ExecStart): so journal lines only when stderr is that stream (systemd.exec(5)).
    /// When stderr's link cannot be read, the variable alone decides.
    /// </summary>
    public static LogStyle DetectStyle(string? journalStream, string? stderrTarget = null)
    {
        if (string.IsNullOrEmpty(journalStream)) return LogStyle.Timestamped;
        if (stderrTarget is null) return LogStyle.Journal;
        int colon = journalStream.IndexOf(':');
        string inode = colon < 0 ? journalStream : journalStream[(colon + 1)..];
        return stderrTarget == $"socket:[{inode}]" ? LogStyle.Journal : LogStyle.Timestamped;
    }

    /// <summary>What stderr is, as /proc/self/fd/2 links to it; null when that cannot be read.</summary>
    private static string? StderrTarget()
    {
        try
        {
            return new FileInfo("/proc/self/fd/2").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

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
    public static void Shutdown()
    {
        Factory.Shutdown();
        lock (Gate)
        {
            _file?.Dispose();
            _file = null;
        }
    }
}
