using System.Globalization;
using System.Text;
using NLog;

namespace Vmm.Hosting.Logging;

/// <summary>
/// Formats one event as one line. Newlines inside a message or an exception are written as "\n", so that one
/// event stays one journal entry with its priority, and a stack trace cannot be mistaken for other events.
/// </summary>
internal static class LogLine
{
    public static string Format(LogEventInfo e, bool journal, bool withStackTrace)
    {
        var sb = new StringBuilder(128);
        if (journal)
            sb.Append('<').Append(Priority(e.Level)).Append('>');
        else
            sb.Append(e.TimeStamp.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
              .Append(' ').Append(e.Level.Name.ToUpperInvariant()).Append(' ');
        sb.Append(e.LoggerName).Append(": ");
        AppendOneLine(sb, e.FormattedMessage);
        if (e.Exception is { } ex)
        {
            sb.Append(": ");
            // The exception's own ToString carries the stack; at info and above, the chain of messages is what
            // an operator acts on, and a stack trace would be noise in the journal.
            if (withStackTrace) AppendOneLine(sb, ex.ToString());
            else
                for (Exception? x = ex; x is not null; x = x.InnerException)
                {
                    if (x != ex) sb.Append(" ---> ");
                    sb.Append(x.GetType().Name).Append(": ");
                    AppendOneLine(sb, x.Message);
                }
        }
        return sb.ToString();
    }

    /// <summary>syslog priorities (RFC 5424): 2 critical, 3 error, 4 warning, 6 informational, 7 debug.</summary>
    public static int Priority(LogLevel level) =>
        level == LogLevel.Fatal ? 2
        : level == LogLevel.Error ? 3
        : level == LogLevel.Warn ? 4
        : level == LogLevel.Info ? 6
        : 7;

    private static void AppendOneLine(StringBuilder sb, string? text)
    {
        if (text is null) return;
        foreach (char c in text)
        {
            switch (c)
            {
                case '\r': break;
                case '\n': sb.Append("\\n"); break;
                default: sb.Append(char.IsControl(c) && c != '\t' ? ' ' : c); break;
            }
        }
    }
}
