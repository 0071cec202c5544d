// Every hypervisor call can block (libvirtd busy, a QEMU monitor stuck), so none runs on the network,
// heartbeat or thread-pool threads: they run here, on dedicated threads, and the caller waits with a deadline.
using System.Diagnostics;

namespace Vmm.Hostd.Internal;

/// <summary>
/// A small pool of dedicated threads for blocking calls. It grows when every thread is busy (up to
/// <c>maxThreads</c>; beyond that work queues) and shrinks back to <c>minThreads</c> after idling, so a few
/// slow calls (a graceful stop waits up to a minute) never hold up quick ones.
/// </summary>
internal sealed class BlockingWorkers : IDisposable
{
    private readonly Queue<Action> _queue = new();
    private readonly object _gate = new();   // Monitor.Wait/Pulse: a plain object, not a Lock
    private readonly int _minThreads, _maxThreads;
    private readonly TimeSpan _idle;
    private readonly string _name;
    private static readonly long SpinTicks = Stopwatch.Frequency / 10_000;   // 100 µs
    private int _threads, _idleThreads;
    private bool _disposed;

    public BlockingWorkers(string name, int minThreads = 2, int maxThreads = 64, TimeSpan? idle = null)
    {
        _name = name;
        _minThreads = minThreads;
        _maxThreads = maxThreads;
        _idle = idle ?? TimeSpan.FromSeconds(30);
    }

    /// <summary>Calls waiting for a worker now.</summary>
    public int Queued { get { lock (_gate) return _queue.Count; } }

    /// <summary>Worker threads now, busy or idle.</summary>
    public int Threads { get { lock (_gate) return _threads; } }

    /// <summary>The most worker threads; past it calls queue.</summary>
    public int MaxThreads => _maxThreads;

    /// <summary>
    /// Runs <paramref name="call"/> on a worker. The task completes with its result, or faults with
    /// <see cref="TimeoutException"/> when <paramref name="deadline"/> passes first: the call itself cannot be
    /// interrupted and finishes in the background (<paramref name="finished"/> still runs when it does).
    /// </summary>
    public Task<T> Run<T>(Func<T> call, TimeSpan deadline, Action<T>? finished = null)
    {
        // The caller's continuation (build the ACK, queue it for writing) runs on whichever thread completes
        // the task first, the worker or the deadline's timer: no extra hop through the thread pool.
        var done = new TaskCompletionSource<T>();
        var timer = deadline == Timeout.InfiniteTimeSpan ? null : new Timer(
            static state => ((TaskCompletionSource<T>)state!).TrySetException(new TimeoutException()), done, deadline, Timeout.InfiniteTimeSpan);
        Post(() =>
        {
            try
            {
                var result = call();
                finished?.Invoke(result);
                done.TrySetResult(result);
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
            finally
            {
                timer?.Dispose();
            }
        });
        return done.Task;
    }

    /// <summary>Queues work for a worker thread.</summary>
    public void Post(Action work)
    {
        bool spawn;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _queue.Enqueue(work);
            // Every idle thread takes one queued item; more items than idle threads need a new thread.
            spawn = _queue.Count > _idleThreads && _threads < _maxThreads;
            if (spawn) _threads++;
            else Monitor.Pulse(_gate);
        }
        if (spawn) new Thread(Loop) { IsBackground = true, Name = _name }.Start();
    }

    private void Loop()
    {
        while (true)
        {
            Action work;
            lock (_gate)
            {
                // Just finished a call: the next request of a busy controller usually arrives within a network
                // round trip, and waking a sleeping thread costs more than that on a loaded host. So look for
                // it for a moment before sleeping (the thread counts as idle meanwhile: no extra thread spawns).
                long spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
                while (_queue.Count == 0)
                {
                    if (_disposed) { _threads--; return; }
                    _idleThreads++;
                    while (_queue.Count == 0 && !_disposed && Stopwatch.GetTimestamp() < spinUntil)
                    {
                        Monitor.Exit(_gate);
                        Thread.SpinWait(50);
                        Monitor.Enter(_gate);
                    }
                    bool woke = _queue.Count > 0 || Monitor.Wait(_gate, _idle);
                    _idleThreads--;
                    if (!woke && _queue.Count == 0 && _threads > _minThreads) { _threads--; return; }
                }
                work = _queue.Dequeue();
            }
            work();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
    }
}
