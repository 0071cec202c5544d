// Whether a VM runs on two hosts at once (HA, spec §15): virsh asks both hosts every 100 ms, from its own thread,
// until stopped; each sample where both say running is noted with its time. On its own, the same sample counts the
// processes that hold the VM's disk image open for writing (OpenDisks): two at once is a double writer, whatever
// virsh says. Used by the HA tests and benchmark.
using System.Diagnostics;

namespace Vmm.E2E.Harness;

/// <summary>Asks virsh on both hosts every 100 ms whether the VM runs there, and notes when it runs on both.</summary>
internal sealed class TwoCopies : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly QemuHost _a, _b;
    private readonly string _vm;
    private int _samples;

    public TwoCopies(QemuHost a, QemuHost b, string vm)
    {
        (_a, _b, _vm) = (a, b, vm);
        _thread = new Thread(Poll) { IsBackground = true, Name = "two-copies" };
        _thread.Start();
    }

    /// <summary>When (ms since the start) the VM was seen running on both hosts.</summary>
    public List<string> Both { get; } = [];

    /// <summary>When (ms since the start) two processes or more held the VM's disk open for writing, and their pids.</summary>
    public List<string> DoubleWriters { get; } = [];

    /// <summary>Samples of both hosts taken.</summary>
    public int Samples => Volatile.Read(ref _samples);

    /// <summary>Where the VM was last seen running: the host's name, or null.</summary>
    public string? RunningOn { get; private set; }

    private void Poll()
    {
        while (!_stop.IsCancellationRequested)
        {
            long at = _clock.ElapsedMilliseconds;
            string? onA = null, onB = null;
            List<int> writers = [];
            Parallel.Invoke(() => onA = State(_a), () => onB = State(_b), () => writers = OpenDisks.Writers(_vm));
            if (writers.Count > 1) lock (DoubleWriters) DoubleWriters.Add($"{at} ms: {string.Join(", ", writers)}");
            Interlocked.Increment(ref _samples);
            if (onA == "running" && onB == "running") lock (Both) Both.Add($"{at} ms");
            RunningOn = onA == "running" ? _a.Name : onB == "running" ? _b.Name : null;
            long left = 100 - (_clock.ElapsedMilliseconds - at);
            if (left > 0) _stop.Token.WaitHandle.WaitOne((int)left);
        }
    }

    // virsh domstate; when the host's libvirtd is frozen, or does not answer within a second, its QEMU process for the
    // VM stands in: one that exists is counted running.
    private string? State(QemuHost host)
    {
        if (host.Frozen) return host.QemuPids(_vm).Count > 0 ? "running" : null;
        try
        {
            var r = Command.Run("virsh", ["-q", "-c", host.LibvirtUri, "domstate", _vm], TimeSpan.FromSeconds(1));
            return r.Code == 0 ? r.Out.Trim() : null;
        }
        catch (E2EException)
        {
            return host.QemuPids(_vm).Count > 0 ? "running" : null;
        }
    }

    public void Stop()
    {
        _stop.Cancel();
        _thread.Join();
    }

    public void Dispose() => Stop();
}
