// The sd_notify protocol (sd_notify(3)) without libsystemd: newline-separated VARIABLE=value assignments in
// one datagram to the Unix socket systemd names in $NOTIFY_SOCKET. systemd learns the sender's pid from
// the kernel (SCM_CREDENTIALS), which NotifyAccess=main checks, so nothing else goes with the message.
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using NLog;

namespace Vmm.Hosting.Systemd;

/// <summary>
/// Tells systemd how a daemon started with <c>Type=notify</c> is doing: ready, a status line, reloading,
/// stopping, and watchdog pings. Without <c>$NOTIFY_SOCKET</c> (not started by systemd) every call does
/// nothing, so a daemon calls it unconditionally. Thread-safe.
/// </summary>
public sealed class ServiceNotifier
{
    private readonly UnixDomainSocketEndPoint? _endPoint;
    private readonly string? _address;
    private readonly Logger? _log;
    private readonly Lock _gate = new();
    private string? _status;
    private bool _failedOnce;

    /// <summary>A notifier sending to <paramref name="notifySocket"/>, or a silent one when it is null or empty.</summary>
    /// <param name="notifySocket">A path, or an abstract address written with a leading '@' (as systemd does).</param>
    /// <param name="watchdogInterval">WatchdogSec= as systemd passed it, or null when there is no watchdog.</param>
    /// <param name="log">Where the first failed send is logged (once: systemd may simply be gone), or null.</param>
    public ServiceNotifier(string? notifySocket, TimeSpan? watchdogInterval = null, Logger? log = null)
    {
        _log = log;
        WatchdogInterval = watchdogInterval;
        if (string.IsNullOrEmpty(notifySocket)) return;
        if (notifySocket[0] is not ('/' or '@'))
        {
            // systemd 254+ may pass vsock:CID:PORT for a VM's manager; a daemon on a host never gets one.
            log?.Warn("NOTIFY_SOCKET={0} is not a Unix socket address; systemd is not told about this daemon", notifySocket);
            return;
        }
        _address = notifySocket;
        _endPoint = new UnixDomainSocketEndPoint(notifySocket[0] == '@' ? "\0" + notifySocket[1..] : notifySocket);
    }

    /// <summary>
    /// The notifier for this process as systemd started it: <c>NOTIFY_SOCKET</c>, and the watchdog from
    /// <c>WATCHDOG_USEC</c> when <c>WATCHDOG_PID</c> is unset or names this process (sd_watchdog_enabled(3)).
    /// </summary>
    public static ServiceNotifier FromEnvironment(IReadOnlyDictionary<string, string?> environment, Logger? log = null) =>
        new(environment.GetValueOrDefault("NOTIFY_SOCKET"),
            WatchdogFrom(environment.GetValueOrDefault("WATCHDOG_USEC"), environment.GetValueOrDefault("WATCHDOG_PID"), Environment.ProcessId),
            log);

    /// <summary>The watchdog interval <c>WATCHDOG_USEC</c> sets for process <paramref name="pid"/>, or null.</summary>
    public static TimeSpan? WatchdogFrom(string? usec, string? watchdogPid, int pid)
    {
        if (!ulong.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out ulong us) || us == 0) return null;
        if (!string.IsNullOrEmpty(watchdogPid)
            && (!int.TryParse(watchdogPid, NumberStyles.None, CultureInfo.InvariantCulture, out int owner) || owner != pid))
            return null;   // the watchdog belongs to another process (a parent that exec'd us under another pid)
        return TimeSpan.FromTicks((long)Math.Min(us, (ulong)(TimeSpan.MaxValue.Ticks / 10)) * 10);
    }

    /// <summary>True when there is a service manager to tell.</summary>
    public bool Enabled => _endPoint is not null;

    /// <summary>The interval within which systemd expects <see cref="Watchdog"/>, or null when it expects none.</summary>
    public TimeSpan? WatchdogInterval { get; }

    /// <summary>The last status line sent.</summary>
    public string? Status { get { lock (_gate) return _status; } }

    /// <summary>Start-up is complete: the daemon serves. <c>READY=1</c> and <c>STATUS=</c>.</summary>
    public void Ready(string status) => Send("READY=1", status);

    /// <summary>A new status line, for <c>systemctl status</c>; nothing is sent when it is the line sent last.</summary>
    public void SetStatus(string status)
    {
        lock (_gate) if (status.ReplaceLineEndings(" ") == _status) return;
        Send(null, status);
    }

    /// <summary>
    /// A reload (SIGHUP) begins: <c>RELOADING=1</c> with <c>MONOTONIC_USEC</c>, which systemd 253+ wants
    /// with it; follow with <see cref="Ready"/> when the reload is done, whatever its outcome.
    /// </summary>
    public void Reloading(string status) => Send("RELOADING=1\nMONOTONIC_USEC=" + MonotonicMicroseconds().ToString(CultureInfo.InvariantCulture), status);

    /// <summary>The daemon is stopping (SIGTERM): <c>STOPPING=1</c>.</summary>
    public void Stopping(string status) => Send("STOPPING=1", status);

    /// <summary>
    /// The daemon is alive: <c>WATCHDOG=1</c>. Call it only when the daemon's own work shows it healthy
    /// (<see cref="ServiceMonitor"/> does), never from a timer that would keep a hung process alive.
    /// </summary>
    public void Watchdog() => Send("WATCHDOG=1", null);

    /// <summary>CLOCK_MONOTONIC in microseconds: on Linux <see cref="Stopwatch"/> reads that clock, in nanoseconds.</summary>
    internal static long MonotonicMicroseconds() => Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000);

    private void Send(string? assignments, string? status)
    {
        // A status is one line: a newline would start another assignment.
        status = status?.ReplaceLineEndings(" ");
        if (_endPoint is null)
        {
            if (status is not null) lock (_gate) _status = status;
            return;
        }
        var text = new StringBuilder();
        if (assignments is not null) text.Append(assignments).Append('\n');
        if (status is not null) text.Append("STATUS=").Append(status).Append('\n');
        byte[] datagram = Encoding.UTF8.GetBytes(text.ToString());
        lock (_gate)
        {
            if (status is not null) _status = status;
            try
            {
                // A socket a message, as sd_notify does: a few a minute, and nothing to hold open or reconnect.
                using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                socket.Connect(_endPoint);
                socket.Send(datagram);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_failedOnce) return;
                _failedOnce = true;
                // .NET reports a path nobody is bound to (ENOENT, ECONNREFUSED) as an address not available.
                _log?.Warn("cannot notify systemd through {0}: {1}", _address,
                    e is SocketException { SocketErrorCode: SocketError.AddressNotAvailable or SocketError.ConnectionRefused } ? "nothing listens there" : e.Message);
            }
        }
    }
}
