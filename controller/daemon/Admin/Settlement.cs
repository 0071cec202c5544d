// Read-your-writes for the admin socket: once a request succeeded, the operator's next command must see its
// effect (`vmmctl vm create web-03` then `vmmctl vm start web-03` must find web-03). hostd reports the VM right
// after every request it finishes (an event datagram whose record carries `last-request`, spec §6.2), so the
// inventory normally shows the effect a few milliseconds after the ACK; the RESULT waits for that, bounded by
// two heartbeat intervals, after which the complete report has carried it or something is wrong with the host
// (then the RESULT goes out anyway: the request did succeed).
using Vmm.Controller.Dispatch;
using Vmm.Controller.Inventory;
using Vmm.Protocol;

namespace Vmm.Controller.Admin;

/// <summary>
/// Waits until the inventory shows what one request did. Made before the request is sent, so that no change
/// arriving between the ACK and the wait is missed.
/// </summary>
internal sealed class Settlement : IDisposable
{
    private readonly FleetInventory _inventory;
    private readonly Watcher _watcher;
    private readonly RequestCode _code;
    private readonly string _host;

    private Settlement(FleetInventory inventory, Watcher watcher, RequestCode code, string host)
    {
        _inventory = inventory;
        _watcher = watcher;
        _code = code;
        _host = host;
    }

    /// <summary>
    /// Starts watching for the effect of <paramref name="code"/> sent to <paramref name="host"/> for
    /// <paramref name="vm"/> (empty for an add); null for a request that changes no VM.
    /// </summary>
    public static Settlement? Begin(FleetInventory inventory, RequestCode code, string host, Guid vm)
    {
        if (code == RequestCode.Ping) return null;
        // A migrated VM turns up on another host; an added one has no uuid yet, so its host is watched.
        var watcher = code == RequestCode.Migrate
            ? inventory.Watchers.Subscribe(inventory.Options.MaxWatchQueueBytes, reference: vm.ToString())
            : inventory.Watchers.Subscribe(inventory.Options.MaxWatchQueueBytes, host, vm == Guid.Empty ? null : vm.ToString());
        return new Settlement(inventory, watcher, code, host);
    }

    /// <summary>
    /// Returns once the inventory shows that request <paramref name="requestId"/> for <paramref name="vm"/>
    /// succeeded, or after <paramref name="limit"/>, or when <paramref name="stop"/> is cancelled (the request
    /// did succeed: a stopping controller still says so); true when it was seen.
    /// </summary>
    public async Task<bool> WaitAsync(Guid vm, ulong requestId, TimeSpan limit, CancellationToken stop)
    {
        if (vm == Guid.Empty) return false;
        if (Current(vm, requestId)) return true;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(limit);
        try
        {
            while (await _watcher.WaitToReadAsync(deadline.Token).ConfigureAwait(false))
                while (_watcher.TryRead(out var change))
                    if (change is VmChange { View: var v } && v.Uuid == vm && Shows(v, requestId)) return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (WatcherOverflowException)
        {
            // Changes came faster than a whole queue (its memory is already given back); the inventory itself still knows.
        }
        return Current(vm, requestId);
    }

    /// <summary>Whether the inventory as it is now already shows the request's effect.</summary>
    private bool Current(Guid vm, ulong requestId)
    {
        var held = _inventory.VmsWithUuid(vm);
        return _code is RequestCode.Delete or RequestCode.Remove
            ? !held.Exists(v => v.Host == _host)
            : held.Exists(v => Shows(v, requestId));
    }

    /// <summary>Whether one change of the VM shows the request's effect.</summary>
    private bool Shows(VmView v, ulong requestId) => _code switch
    {
        RequestCode.Delete or RequestCode.Remove => v.Host == _host && v.Removed,
        RequestCode.Migrate => v.Host != _host && !v.Removed,
        // A record that names this request, or a later one of this controller: another operator's next request
        // on the VM also shows that this one was done.
        _ => v.Host == _host && !v.Removed && RequestIds.Covers(v.LastRequestId, requestId),
    };

    public void Dispose() => _watcher.Dispose();
}
