// Work taken and not finished yet, with a signal for "none left": a stop or a closing connection awaits the last
// piece (a request, a probe) instead of polling for it, and whoever started the work owns it through the set.
namespace Vmm.Hosting;

/// <summary>A set of items in flight that can be awaited empty.</summary>
public sealed class PendingSet<T> where T : class
{
    private readonly Lock _gate = new();
    private readonly HashSet<T> _items = [];
    private TaskCompletionSource? _empty;   // made by the first waiter, completed (and dropped) when the set empties

    /// <summary>Items in the set now.</summary>
    public int Count
    {
        get { lock (_gate) return _items.Count; }
    }

    /// <summary>Adds <paramref name="item"/>.</summary>
    public void Add(T item)
    {
        lock (_gate) _items.Add(item);
    }

    /// <summary>Removes <paramref name="item"/>; the last one out wakes whoever awaits <see cref="WhenEmpty"/>.</summary>
    public void Remove(T item)
    {
        TaskCompletionSource? empty = null;
        lock (_gate)
        {
            if (_items.Remove(item) && _items.Count == 0) (empty, _empty) = (_empty, null);
        }
        empty?.SetResult();
    }

    /// <summary>The items in the set now.</summary>
    public T[] Snapshot()
    {
        lock (_gate) return [.. _items];
    }

    /// <summary>Completes once the set is empty (at once if it is now).</summary>
    public Task WhenEmpty()
    {
        lock (_gate)
        {
            if (_items.Count == 0) return Task.CompletedTask;
            return (_empty ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }
}
