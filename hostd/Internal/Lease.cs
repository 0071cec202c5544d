// hostd's lease (spec §15.2). One controller at a time holds it; its renewals keep the host's HA VMs running. A
// renewal does not extend the lease from when it arrives but from the token it echoes: the time, by this host's
// monotonic clock, at which hostd granted the renewal that carried that token. The controller counts its own wait
// from when that grant's ACK reached it, which is later, so hostd's deadline always comes first, however long a
// renewal spends on the way (a renewal delayed by a partition and delivered after it only extends to a time the
// controller has already counted).
//
// Who may hold it: the holder's claim runs fence-after from its newest grant, and no other controller is granted
// anything meanwhile; past the claim, another may take the lease only once this host has fenced since the lease
// lapsed, and tokens issued before it took over extend nothing. So whichever controller last got a grant can count
// on no other controller having extended the lease after it, which is what its wait rests on (§15.5).
//
// All times here are monotonic milliseconds of this machine (CLOCK_MONOTONIC: the same for every process of one
// boot of the machine), so a restarted hostd that reads the lease file keeps the deadline of its predecessor; a
// token of an earlier machine boot carries another epoch and extends nothing.
using System.Globalization;
using Vmm.Hostd.Interop;

namespace Vmm.Hostd.Internal;

/// <summary>What a renewal came to: granted (with the token for the next one), or refused (another holds the lease).</summary>
/// <param name="Granted">True: the requester holds the lease.</param>
/// <param name="Holder">The holder after the renewal.</param>
/// <param name="Token">For a grant: the token to echo in the next renewal.</param>
/// <param name="Message">One line: what was done (extended to, not extended because ..., refused because ...).</param>
/// <param name="Unfenced">True when this grant ended a fence (the host's fenced status is cleared).</param>
/// <param name="RemainingMs">For a grant: the milliseconds the lease has left after it; 0 when it is not running (a
/// first renewal, or a token this host did not give the holder, extends nothing).</param>
internal readonly record struct LeaseAnswer(bool Granted, string? Holder, ulong Token, string Message, bool Unfenced = false, ulong RemainingMs = 0);

/// <summary>The lease of one host. Thread-safe: renewals come on any connection; the fencer reads it.</summary>
internal sealed class Lease
{
    /// <summary>The shortest and longest fence-after a renewal may grant (spec §15.2).</summary>
    public const uint MinFenceAfterMs = 500, MaxFenceAfterMs = 3_600_000;

    private const int EpochShift = 48;
    private const ulong MsMask = (1UL << EpochShift) - 1;

    private readonly Func<long> _nowMs;
    private readonly string? _file;
    private readonly string _machineBoot;
    private readonly Lock _gate = new();
    private readonly ushort _epoch;
    private string? _holder;
    private long _deadlineMs = long.MinValue;    // the HA VMs are fenced from then on
    private long _claimMs = long.MinValue;       // no other controller is granted anything before then
    private long _holderSinceMs = long.MinValue; // tokens issued before the holder took the lease extend nothing
    private bool _fencedSinceLapse;              // the fencer went round since the deadline passed
    private bool _fenced;                        // ... and found something to say: STATE's fenced status

    /// <summary>
    /// A lease read from <paramref name="file"/> (null or empty: none kept), on the clock <paramref name="nowMs"/>
    /// (monotonic ms; default: the machine's), for the machine boot <paramref name="machineBoot"/> (default: the
    /// kernel's boot id). Without a readable file of this machine boot the lease starts lapsed: a copy of an HA VM may
    /// already run elsewhere, so the fencer fences the HA VMs it finds running at once.
    /// </summary>
    public Lease(string? file, Func<long>? nowMs = null, string? machineBoot = null)
    {
        _nowMs = nowMs ?? (() => Environment.TickCount64);
        _file = string.IsNullOrEmpty(file) ? null : file;
        _machineBoot = machineBoot ?? MachineBoot();
        // A file of another boot of the machine counts on another clock: ignored (so is a claim too far ahead).
        if (_file is not null && Read(_file) is { } kept && kept.MachineBoot == _machineBoot && kept.ClaimMs - _nowMs() <= MaxFenceAfterMs)
        {
            (_epoch, _holder, _deadlineMs, _claimMs, _holderSinceMs) = (kept.Epoch, kept.Holder, kept.DeadlineMs, kept.ClaimMs, kept.HolderSinceMs);
            Restored = true;
        }
        else
        {
            _epoch = NewEpoch();
        }
    }

    /// <summary>True when the lease came from the file (a restarted hostd), not started anew.</summary>
    public bool Restored { get; }

    /// <summary>The controller holding the lease, or null.</summary>
    public string? Holder { get { lock (_gate) return _holder; } }

    /// <summary>Milliseconds until the lease lapses (negative once it has; long.MinValue when it never ran).</summary>
    public long RemainingMs { get { lock (_gate) return _deadlineMs == long.MinValue ? long.MinValue : _deadlineMs - _nowMs(); } }

    /// <summary>True once a renewal has extended the lease (here or before a restart): a lapse is then worth reporting.</summary>
    public bool HasRun { get { lock (_gate) return _deadlineMs != long.MinValue; } }

    /// <summary>True once the deadline passed: the fencer must fence the HA VMs running here.</summary>
    public bool Lapsed { get { lock (_gate) return _nowMs() >= _deadlineMs; } }

    /// <summary>
    /// Null while the lease runs; otherwise why it does not, in words that finish "the host's lease ...": an HA VM
    /// that starts now would be fenced within a second (spec §15.3), so hostd refuses to start or resume one.
    /// </summary>
    public string? NotRunning
    {
        get
        {
            lock (_gate)
            {
                long now = _nowMs();
                if (now < _deadlineMs) return null;
                if (_deadlineMs == long.MinValue)
                    return _holder is null
                        ? "has not been renewed since hostd started (no controller holds it yet)"
                        : $"is held by controller {_holder} but not extended yet (its next renewal extends it)";
                return $"of controller {_holder ?? "none"} lapsed {Seconds(now - _deadlineMs)} s ago";
            }
        }
    }

    /// <summary>True from a fence that found something to say until the next extension: STATE says fenced meanwhile.</summary>
    public bool Fenced { get { lock (_gate) return _fenced; } }

    /// <summary>What the watchdog (spec §15.3) reads in one look: the milliseconds left (as <see cref="RemainingMs"/>),
    /// and whether the fencer went round since the lease lapsed, with no extension since.</summary>
    public (long RemainingMs, bool FencedSinceLapse) WatchdogView
    {
        get { lock (_gate) return (_deadlineMs == long.MinValue ? long.MinValue : _deadlineMs - _nowMs(), _fencedSinceLapse); }
    }

    /// <summary>
    /// The fencer went round (every running HA VM destroyed or paused) while the lease was lapsed; with
    /// <paramref name="report"/>, the host says fenced from now on. False, and nothing is marked, if a renewal of the
    /// holder extended the lease meanwhile.
    /// </summary>
    public bool MarkFenced(bool report = true)
    {
        lock (_gate)
        {
            if (_nowMs() < _deadlineMs) return false;
            _fencedSinceLapse = true;
            if (report) _fenced = true;
            return true;
        }
    }

    /// <summary>
    /// A renewal from <paramref name="controller"/> echoing <paramref name="token"/> (0: its first) that grants
    /// <paramref name="fenceAfterMs"/>. Granted to the holder; to another controller only once the holder's claim has
    /// run out and this host has fenced since its lease lapsed; refused otherwise.
    /// </summary>
    public LeaseAnswer Renew(string controller, ulong token, uint fenceAfterMs)
    {
        if (fenceAfterMs is < MinFenceAfterMs or > MaxFenceAfterMs)
            return new(false, Holder, 0, $"fence-after-ms {fenceAfterMs} is outside {MinFenceAfterMs}-{MaxFenceAfterMs}");
        lock (_gate)
        {
            long now = _nowMs();
            string message;
            if (_holder is not null && _holder != controller)
            {
                if (now < _claimMs)
                    return new(false, _holder, 0,
                        $"the lease is held by controller {_holder} for {Seconds(_claimMs - now)} s more; a standby takes it only once it lapses");
                if (now < _deadlineMs || !_fencedSinceLapse)
                    return new(false, _holder, 0, $"the lease of controller {_holder} lapsed; this host fences its HA VMs before another controller may take it");
            }
            if (_holder != controller)
            {
                message = $"taken from {_holder ?? "no one"}";
                _holder = controller;
                _holderSinceMs = now;
            }
            else
            {
                message = "renewed";
            }
            long from = TokenTime(token, now);
            bool unfenced = false;
            if (from == long.MinValue)
            {
                message += token == 0 ? "; no token yet, so the lease is not extended" : "; the token is not one this host gave the holder: the lease is not extended";
            }
            else
            {
                _deadlineMs = Math.Max(_deadlineMs, from + fenceAfterMs);
                message += $"; lapses in {Seconds(_deadlineMs - now)} s";
            }
            if (now < _deadlineMs)
            {
                unfenced = _fenced;
                _fenced = false;
                _fencedSinceLapse = false;
            }
            // The token for the next renewal is now: the controller counts from the arrival of this grant's ACK, later.
            _claimMs = now + fenceAfterMs;
            ulong next = (ulong)_epoch << EpochShift | ((ulong)now & MsMask);
            Write();
            return new(true, _holder, next, message, unfenced, (ulong)Math.Max(0, _deadlineMs == long.MinValue ? 0 : _deadlineMs - now));
        }
    }

    /// <summary>The moment <paramref name="token"/> names; long.MinValue for none, another epoch, a time to come, or one
    /// before the holder took the lease (a token of the previous holder's).</summary>
    private long TokenTime(ulong token, long now)
    {
        if (token == 0 || (ushort)(token >> EpochShift) != _epoch) return long.MinValue;
        long ms = (long)(token & MsMask);
        return ms <= now && ms >= _holderSinceMs ? ms : long.MinValue;
    }

    private static string Seconds(long ms) => (ms / 1000.0).ToString("0.0##", CultureInfo.InvariantCulture);

    private static ushort NewEpoch()
    {
        Span<byte> b = stackalloc byte[2];
        ushort e;
        do
        {
            // getrandom(2), not RandomNumberGenerator: that would initialize .NET's OpenSSL shim (1.1 MB resident).
            Libc.GetRandom(b);
            e = BitConverter.ToUInt16(b);
        } while (e == 0);
        return e;
    }

    // "epoch holder deadline claim holder-since machine-boot": under _gate. Written whole and renamed into place, so a
    // reader never sees half of it.
    private void Write()
    {
        if (_file is null) return;
        try
        {
            string tmp = _file + ".tmp";
            File.WriteAllText(tmp, string.Create(CultureInfo.InvariantCulture,
                $"{_epoch} {_holder} {_deadlineMs} {_claimMs} {_holderSinceMs} {_machineBoot}\n"));
            File.Move(tmp, _file, overwrite: true);
            WriteError = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The lease holds in memory; only a restart of hostd would lose it (and then fence at once).
            WriteError = e.Message;
        }
    }

    /// <summary>Why the lease file could not be written last, or null.</summary>
    public string? WriteError { get; private set; }

    // The kernel's id of this boot of the machine: the monotonic clock starts anew with each.
    private static string MachineBoot()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    private sealed record Kept(ushort Epoch, string? Holder, long DeadlineMs, long ClaimMs, long HolderSinceMs, string MachineBoot);

    private static Kept? Read(string file)
    {
        try
        {
            var p = File.ReadAllText(file).Split(' ', StringSplitOptions.TrimEntries);
            var c = CultureInfo.InvariantCulture;
            if (p.Length == 6 && ushort.TryParse(p[0], c, out ushort epoch) && epoch != 0 && long.TryParse(p[2], c, out long deadline)
                && long.TryParse(p[3], c, out long claim) && long.TryParse(p[4], c, out long since))
                return new Kept(epoch, p[1].Length == 0 ? null : p[1], deadline, claim, since, p[5]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}
