namespace Vmm.Hosting.Logging;

/// <summary>How each log line is written.</summary>
public enum LogStyle
{
    /// <summary><see cref="Journal"/> when started by systemd with stderr connected to the journal, else <see cref="Timestamped"/>.</summary>
    Auto,

    /// <summary>
    /// <c>&lt;6&gt;logger: message</c>: the syslog priority as a prefix, which journald strips and keeps as the
    /// entry's level, and no timestamp (the journal has its own).
    /// </summary>
    Journal,

    /// <summary><c>2026-11-24T13:00:00.123Z INFO logger: message</c>, for a terminal or a plain file.</summary>
    Timestamped,
}
