// A stand-in for a host's watchdog device (hostd's watchdog-device, spec §15.3): hostd writes its pets to a plain file,
// and this plays the machine's reset: once no pet has come for the timeout, every QEMU of the host is killed (what a
// reset does to them; hostd and libvirtd are left to the test). A magic close ('V' last) disarms it; after a reset it
// waits for pets again before it can fire again.
namespace Vmm.E2E.Harness;

internal sealed class FakeWatchdog : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly Action _reset;
    private readonly TimeSpan _timeout;
    private int _fired;

    public FakeWatchdog(string path, TimeSpan timeout, Action reset)
    {
        (Path, _timeout, _reset) = (path, timeout, reset);
        File.WriteAllBytes(path, []);
        _thread = new Thread(Watch) { IsBackground = true, Name = "fake-watchdog" };
        _thread.Start();
    }

    /// <summary>The file hostd pets.</summary>
    public string Path { get; }

    /// <summary>Resets played so far.</summary>
    public int Fired => Volatile.Read(ref _fired);

    private void Watch()
    {
        long last = -1;
        var since = System.Diagnostics.Stopwatch.StartNew();
        bool armed = false;
        while (!_stop.Token.WaitHandle.WaitOne(50))
        {
            long length;
            try { length = new FileInfo(Path).Length; }
            catch (IOException) { continue; }
            if (length != last)
            {
                last = length;
                since.Restart();
                armed = length > 0 && !EndsWithMagicClose();
                continue;
            }
            if (!armed || since.Elapsed < _timeout) continue;
            Interlocked.Increment(ref _fired);
            armed = false;
            _reset();
        }
    }

    private bool EndsWithMagicClose()
    {
        try
        {
            using var f = File.OpenRead(Path);
            if (f.Length == 0) return false;
            f.Seek(-1, SeekOrigin.End);
            return f.ReadByte() == 'V';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
    }
}
