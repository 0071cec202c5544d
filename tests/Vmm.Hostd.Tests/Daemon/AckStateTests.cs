using NLog;
using Vmm.Hostd.Internal;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

/// <summary>A successful request's ACK carries the event datagram that showed it (spec §7.2, state); a failure, a
/// replay from the cache and a receipt that never came go without, and a slow one does not hold the ACK for long.</summary>
public sealed class AckStateTests : IDisposable
{
    private readonly FakeHypervisor _hypervisor = new();
    private readonly BlockingWorkers _workers = new("ack-state-test");
    private readonly Receipts _receipts = new();
    private readonly RequestProcessor _processor;
    private readonly Guid _vm;
    private uint _counter;

    public AckStateTests()
    {
        _vm = _hypervisor.Define("a", PowerState.Running);
        _processor = new RequestProcessor(_hypervisor, 9, TimeSpan.FromSeconds(20), _workers, _receipts.Finished,
            LogManager.GetLogger("test"), receipts: _receipts);
    }

    private RequestPdu Request(RequestCode code) => new() { RequestId = ((ulong)5 << 32) | ++_counter, BootId = 9, Code = code, Vm = _vm };

    [Fact]
    public async Task A_success_carries_the_datagram_and_its_replay_does_not()
    {
        var pause = Request(RequestCode.Pause);
        var ack = await _processor.HandleAsync(pause, "test");

        Assert.Equal(AckCode.Success, ack.Code);
        Assert.Equal(Receipts.Datagram(pause.RequestId), ack.Results.Find(AttrType.State)?.Opaque?.Bytes);
        Assert.Equal(1, _processor.Counters.WithState);
        var replay = await _processor.HandleAsync(pause, "test");
        Assert.True(replay.Flags.HasFlag(AckFlags.Replayed));
        Assert.Null(replay.Results.Find(AttrType.State));   // its datagram would be stale by now
        Assert.Empty(_receipts.Waiting);
    }

    [Fact]
    public async Task A_failure_goes_without_and_its_receipt_is_forgotten()
    {
        var ack = await _processor.HandleAsync(Request(RequestCode.Migrate), "test");   // the fake cannot migrate

        Assert.NotEqual(AckCode.Success, ack.Code);
        Assert.Null(ack.Results.Find(AttrType.State));
        Assert.Empty(_receipts.Waiting);
    }

    [Fact]
    public async Task A_receipt_that_does_not_come_holds_the_ack_only_for_the_receipt_wait()
    {
        _receipts.Pay = false;
        var started = DateTime.UtcNow;
        var ack = await _processor.HandleAsync(Request(RequestCode.Pause), "test");

        Assert.Equal(AckCode.Success, ack.Code);
        Assert.Null(ack.Results.Find(AttrType.State));
        Assert.InRange(DateTime.UtcNow - started, RequestProcessor.ReceiptWait * 0.9, TimeSpan.FromSeconds(15));
        Assert.Equal(1, _processor.Counters.WithoutState);
        Assert.Empty(_receipts.Waiting);
    }

    public void Dispose()
    {
        _workers.Dispose();
        _hypervisor.Dispose();
    }

    // Pays each receipt when its request is done (as the refresher's read would), with bytes naming the request.
    private sealed class Receipts : IStateReceipts
    {
        private readonly Dictionary<ulong, TaskCompletionSource<byte[]?>> _waiting = [];

        public bool Pay { get; set; } = true;

        public IReadOnlyCollection<ulong> Waiting { get { lock (_waiting) return [.. _waiting.Keys]; } }

        public static byte[] Datagram(ulong requestId) => BitConverter.GetBytes(requestId);

        public Task<byte[]?>? Expect(Guid vm, ulong requestId)
        {
            var done = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_waiting) _waiting.Add(requestId, done);
            return done.Task;
        }

        public void Forget(ulong requestId)
        {
            lock (_waiting) _waiting.Remove(requestId);
        }

        public void Finished(Guid vm, ulong requestId)
        {
            TaskCompletionSource<byte[]?>? done;
            lock (_waiting) _waiting.TryGetValue(requestId, out done);
            if (Pay) done?.TrySetResult(Datagram(requestId));
        }
    }
}
