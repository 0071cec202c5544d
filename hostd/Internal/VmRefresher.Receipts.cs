// VmRefresher's receipts (spec §7.2, state): a request expects one before it runs (any thread, under _receiptGate);
// once it finished, the loop takes it over (Owe, in Take) and its next read of the VM pays it with the event datagram
// that carried the VM's record (Send), or settles it with nothing at the end of the round (SettleOwed). The request's
// ACK carries what it was paid.
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Internal;

internal sealed partial class VmRefresher
{
    /// <summary>Receipts expected at once at most; past them a request's ACK goes without one (counted).</summary>
    public const int MaxReceipts = 4096;

    // Receipts of requests not finished yet, by request id (any thread, under _receiptGate).
    private readonly Lock _receiptGate = new();

    private readonly Dictionary<ulong, Receipt> _receipts = [];

    private long _receiptsRefused;

    private readonly Dictionary<Guid, List<Receipt>> _owed = [];   // receipts this round's read pays, by VM

    /// <summary>Receipts refused because <see cref="MaxReceipts"/> were expected already.</summary>
    public long ReceiptsRefused => Interlocked.Read(ref _receiptsRefused);

    /// <summary>
    /// A request on <paramref name="vm"/> is about to run: the task completes with the event datagram that carried
    /// the VM's record read after <see cref="Post(Guid, ulong)"/> with <paramref name="requestId"/>, or null when none
    /// did. Null when too many receipts are expected already. Any thread; never blocks.
    /// </summary>
    public Task<byte[]?>? Expect(Guid vm, ulong requestId)
    {
        var receipt = new Receipt(vm);
        lock (_receiptGate)
        {
            if (_receipts.Count >= MaxReceipts || !_receipts.TryAdd(requestId, receipt))
            {
                Interlocked.Increment(ref _receiptsRefused);
                return null;
            }
        }
        return receipt.Paid.Task;
    }

    /// <summary>The request no longer waits for its receipt (it failed, or waited long enough). Any thread.</summary>
    public void Forget(ulong requestId)
    {
        Receipt? receipt;
        lock (_receiptGate)
            if (!_receipts.Remove(requestId, out receipt)) return;
        receipt.Paid.TrySetResult(null);
    }

    // The request finished: its receipt, if it expects one, is this round's read's to pay.
    private void Owe(Guid vm, ulong requestId)
    {
        Receipt? receipt;
        lock (_receiptGate)
            if (!_receipts.Remove(requestId, out receipt)) return;
        if (receipt.Vm != vm)
        {
            receipt.Paid.TrySetResult(null);
            return;
        }
        if (!_owed.TryGetValue(vm, out var list)) _owed[vm] = list = [];
        list.Add(receipt);
    }

    // Sends what changed; each receipt owed for a VM sent is paid with the datagram that carried it (one copy a
    // datagram), after the sender has let go of its lock.
    private void Send(List<VmState> changed)
    {
        if (_owed.Count == 0)
        {
            _changed(changed, null);
            return;
        }
        List<(Receipt Receipt, byte[] Datagram)> paid = [];
        _changed(changed, (datagram, first, records) =>
        {
            byte[]? copy = null;
            for (int i = first; i < first + records; i++)
                if (_owed.Remove(changed[i].Uuid, out var receipts))
                {
                    copy ??= datagram.ToArray();
                    foreach (var r in receipts) paid.Add((r, copy));
                }
        });
        foreach (var (receipt, datagram) in paid) receipt.Paid.TrySetResult(datagram);
    }

    // The end of a round: what its read did not pay, nothing will (the ACKs go without).
    private void SettleOwed()
    {
        if (_owed.Count == 0) return;
        foreach (var receipts in _owed.Values)
            foreach (var r in receipts) r.Paid.TrySetResult(null);
        _owed.Clear();
    }

    // What a request expects: the datagram that shows its VM after it, or null.
    private sealed class Receipt(Guid vm)
    {
        public Guid Vm { get; } = vm;
        public TaskCompletionSource<byte[]?> Paid { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
