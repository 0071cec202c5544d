using NLog;
using NLog.Targets;

namespace Vmm.Hosting.Logging;

/// <summary>
/// Writes each event as one line to a <see cref="TextWriter"/> (stderr in the daemons). Built in code, so
/// NLog needs no configuration file and no reflection, which keeps it AOT-safe. NLog serializes calls to a
/// target, so lines never interleave.
/// </summary>
internal sealed class LineTarget(TextWriter output, bool journal, bool withStackTrace) : Target
{
    protected override void Write(LogEventInfo logEvent)
    {
        output.Write(LogLine.Format(logEvent, journal, withStackTrace) + "\n");
        output.Flush();
    }
}
