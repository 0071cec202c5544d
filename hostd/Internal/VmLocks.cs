// Busy is an answer (spec §7.6): one operation at a time per VM, refused at once rather than queued.
using System.Collections.Concurrent;

namespace Vmm.Hostd.Internal;

/// <summary>Which VMs have an operation in flight, and for which request.</summary>
internal sealed class VmLocks
{
    private readonly ConcurrentDictionary<Guid, ulong> _held = new();

    /// <summary>Takes the VM for the request; false (and the holder's id) when another request holds it.</summary>
    public bool TryTake(Guid vm, ulong requestId, out ulong holder)
    {
        holder = _held.GetOrAdd(vm, requestId);
        return holder == requestId;
    }

    /// <summary>Releases the VM if this request holds it.</summary>
    public void Release(Guid vm, ulong requestId) => _held.TryRemove(new KeyValuePair<Guid, ulong>(vm, requestId));
}
