using System.Text;
using NLog;
using NLog.Targets;

namespace Vmm.Hosting.Logging;

/// <summary>
/// Appends each event as one timestamped line to a file (log-file). The file is opened when the target is
/// made, so a path that cannot be written is reported at start or at the reload that names it; a reload
/// makes a new target, which is how a file renamed by logrotate is let go and created anew.
/// </summary>
internal sealed class FileLineTarget : Target
{
    private StreamWriter? _writer;

    /// <summary>Opens <paramref name="path"/> for appending (created 0640). Throws <see cref="IOException"/> or
    /// <see cref="UnauthorizedAccessException"/> when it cannot be.</summary>
    public FileLineTarget(string path, bool withStackTrace)
    {
        Path = path;
        WithStackTrace = withStackTrace;
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            // Others may read, rename and delete it while it is open: tail, logrotate.
            Share = FileShare.ReadWrite | FileShare.Delete,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead,
        });
        _writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
    }

    public string Path { get; }

    public bool WithStackTrace { get; }

    protected override void Write(LogEventInfo logEvent)
    {
        if (_writer is null) return;
        _writer.Write(LogLine.Format(logEvent, journal: false, WithStackTrace) + "\n");
        _writer.Flush();
    }

    protected override void CloseTarget()
    {
        _writer?.Dispose();
        _writer = null;
        base.CloseTarget();
    }
}
