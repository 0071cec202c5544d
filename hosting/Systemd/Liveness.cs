// What the watchdog trusts: proof, from one of the daemon's own loops, that it is still going round.
using System.Diagnostics;

namespace Vmm.Hosting.Systemd;

/// <summary>
/// A loop's sign of life. The loop calls <see cref="Tick"/> each time round; the loop is alive while its
/// last tick is at most <see cref="MaxSilence"/> old. A deadlocked or wedged loop stops ticking, the
/// watchdog stops being pinged, and systemd restarts the daemon. Cheap enough to tick per datagram.
/// </summary>
public sealed class Liveness
{
    private long _last = Stopwatch.GetTimestamp();

    /// <param name="name">What the loop is, for the log line when it falls silent ("heartbeat loop").</param>
    /// <param name="maxSilence">The longest the loop may go without a tick while healthy: its period, with room.</param>
    public Liveness(string name, TimeSpan maxSilence)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxSilence, TimeSpan.Zero);
        Name = name;
        MaxSilence = maxSilence;
    }

    /// <summary>What the loop is.</summary>
    public string Name { get; }

    /// <summary>How long the loop may be silent and still count as alive.</summary>
    public TimeSpan MaxSilence { get; }

    /// <summary>The loop went round.</summary>
    public void Tick() => Volatile.Write(ref _last, Stopwatch.GetTimestamp());

    /// <summary>Time since the last tick (or since this object was made, before the first).</summary>
    public TimeSpan Silence => Stopwatch.GetElapsedTime(Volatile.Read(ref _last));

    /// <summary>True while the last tick is recent enough.</summary>
    public bool IsAlive => Silence <= MaxSilence;
}
