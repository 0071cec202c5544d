// hostd's watchdog (spec §15.3, setting watchdog-device): the device is opened at start, which arms it, with its
// timeout set to watchdog-timeout; every PetEvery hostd looks at its lease and pets the device only inside the window
// WatchdogWindow allows. A frozen or wedged hostd stops petting, and the machine resets by the lease's deadline plus
// WatchdogWindow.ReachMs: that is what lets a controller count on a host that fences nothing. A clean stop disarms
// the device (the magic close); a crash leaves it armed, so a hostd restarted by systemd must pet it in time.
//
// A path that is not a character device (a plain file) is taken as a stand-in: its timeout is not set, the pets are
// written to it all the same, and the tests read them there.
using NLog;
using Vmm.Hostd.Interop;

namespace Vmm.Hostd.Internal;

/// <summary>What the watchdog did, counted.</summary>
internal sealed class WatchdogCounters
{
    /// <summary>Pets written, times petting stopped because the window closed, writes that failed.</summary>
    public long Pets, Withheld, Failures;
}

/// <summary>The watchdog device cannot be used: one line saying why (hostd does not start).</summary>
internal sealed class WatchdogException(string message) : IOException(message);

/// <summary>Pets a watchdog device while the lease allows it.</summary>
internal sealed class Watchdog : IDisposable
{
    /// <summary>How often the window is looked at (and the device petted while it is open).</summary>
    public static readonly TimeSpan PetEvery = TimeSpan.FromMilliseconds(50);

    private const byte Pet = (byte)'.', MagicClose = (byte)'V';

    private readonly Lease _lease;
    private readonly Logger _log;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private int _fd;
    private bool? _petting;                 // null: not looked yet
    private bool _petFailing;               // the last pet failed: said once, not every 50 ms

    private Watchdog(string device, int fd, long timeoutMs, Lease lease, Logger log, TimeProvider time)
    {
        (Device, _fd, TimeoutMs, _lease, _log, _time) = (device, fd, timeoutMs, lease, log, time);
    }

    /// <summary>The device's path.</summary>
    public string Device { get; }

    /// <summary>The device's timeout in ms: what it took of watchdog-timeout (a driver may round it).</summary>
    public long TimeoutMs { get; }

    public WatchdogCounters Counters { get; } = new();

    /// <summary>
    /// Opens and arms <paramref name="device"/> with <paramref name="timeout"/> (whole seconds for a real device);
    /// null when <paramref name="device"/> is empty. Throws <see cref="WatchdogException"/> with one line saying why not.
    /// </summary>
    public static Watchdog? Open(string device, TimeSpan timeout, Lease lease, Logger log, TimeProvider? time = null)
    {
        if (string.IsNullOrEmpty(device)) return null;
        int fd;
        try
        {
            fd = Libc.OpenForWriting(device);
        }
        catch (IOException e)
        {
            throw new WatchdogException($"watchdog-device {device}: cannot open it: {e.Message}");
        }
        long timeoutMs = (long)timeout.TotalMilliseconds;
        try
        {
            if (Libc.KindOf(device) == FileKind.CharacterDevice)
            {
                timeoutMs = Libc.SetWatchdogTimeout(fd, (int)Math.Ceiling(timeout.TotalSeconds)) * 1000L;
                // The pet window follows the timeout the device took: a longer one stops the pets earlier in each lease.
                if (timeoutMs != (long)timeout.TotalMilliseconds)
                    log.Warn("watchdog-device {0} took a timeout of {1} s, not the {2} s asked", device, timeoutMs / 1000, timeout.TotalSeconds);
            }
            else
                log.Warn("watchdog-device {0} is not a character device: pets are written to it, but nothing resets this machine", device);
        }
        catch (IOException e)
        {
            // Closed without the magic close: if the open armed it, it stays armed, as it must for a device we cannot set.
            Libc.Close(fd);
            throw new WatchdogException($"watchdog-device {device}: {e.Message}");
        }
        log.Info("watchdog {0} armed, timeout {1} s: petted while the lease has {2} s or more left, or once HA VMs are fenced",
            device, timeoutMs / 1000.0, Math.Max(0, timeoutMs - WatchdogWindow.ReachMs) / 1000.0);
        return new Watchdog(device, fd, timeoutMs, lease, log, time ?? TimeProvider.System);
    }

    /// <summary>Pets while the window is open until <paramref name="stop"/>, then disarms the device; never faults.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(PetEvery, _time);
        try
        {
            do
            {
                Check();
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
        Close(disarm: true);
    }

    /// <summary>One look at the lease: pets the device when the window is open. True when it petted.</summary>
    internal bool Check()
    {
        var (remaining, fenced) = _lease.WatchdogView;
        bool open = WatchdogWindow.MayPet(remaining, fenced, TimeoutMs);
        // At start, a lease that never ran waits for the fencer's first round (50 ms): nothing worth a line.
        if (_petting is null && !open && remaining == long.MinValue) _petting = false;
        else if (_petting is null) _petting = true;
        if (open != _petting)
        {
            _petting = open;
            if (open)
            {
                _log.Info("watchdog {0} petted again: {1}", Device, remaining > 0 ? "the lease was renewed" : "the HA VMs are fenced");
            }
            else
            {
                Interlocked.Increment(ref Counters.Withheld);
                if (remaining > 0)
                    _log.Warn("watchdog {0} no longer petted: the lease of controller {1} has {2} ms left, under the watchdog's {3} ms "
                        + "less {4} ms; the machine resets unless a renewal comes or the fencer fences", Device, _lease.Holder ?? "none",
                        remaining, TimeoutMs, WatchdogWindow.ReachMs);
                else
                    _log.Error("watchdog {0} no longer petted: the lease lapsed and the HA VMs are not fenced yet; the machine resets "
                        + "unless the fencer succeeds", Device);
            }
        }
        if (!open) return false;
        lock (_gate)
        {
            if (_fd < 0) return false;
            if (Libc.WriteByte(_fd, Pet, out string? error))
            {
                Interlocked.Increment(ref Counters.Pets);
                if (_petFailing) _log.Info("watchdog {0}: petted again after {1} failed pets", Device, Interlocked.Read(ref Counters.Failures));
                _petFailing = false;
                return true;
            }
            Interlocked.Increment(ref Counters.Failures);
            if (!_petFailing) _log.Error("watchdog {0}: a pet failed: {1} (said once until one succeeds; counted in vmm_hostd_watchdog_failures_total)", Device, error);
            _petFailing = true;
            return false;
        }
    }

    private void Close(bool disarm)
    {
        lock (_gate)
        {
            if (_fd < 0) return;
            if (disarm)
            {
                if (Libc.WriteByte(_fd, MagicClose, out string? error)) _log.Info("watchdog {0} disarmed (hostd stops)", Device);
                else _log.Error("watchdog {0}: the magic close failed, it stays armed: {1}", Device, error);
            }
            Libc.Close(_fd);
            _fd = -1;
        }
    }

    /// <summary>Closes the device without disarming it (a clean stop disarms it at the end of <see cref="RunAsync"/>).</summary>
    public void Dispose() => Close(disarm: false);
}
