// VmRefresher, the one owner of hostd's VM table: other threads only post to its bounded inbox and read the view it
// published, and a reconnect makes that view stale at once.
using NLog;
using Vmm.Hostd.Internal;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

public sealed class VmRefresherTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly FakeHypervisor _hypervisor = new();
    private readonly BlockingWorkers _workers = new("refresher-test");
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstPicture = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly VmRefresher _refresher;

    public VmRefresherTests()
    {
        // An interval far longer than the test: every read after the first is one the test asked for.
        _refresher = new VmRefresher(_hypervisor, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), _workers,
            LogManager.GetLogger("refresher-test"), Sent, () => _firstPicture.TrySetResult());
    }

    [Fact]
    public async Task Marks_beyond_the_inbox_bound_are_dropped_counted_and_turned_into_one_read_of_everything()
    {
        var known = _hypervisor.Define("known", PowerState.Running);
        var loop = _refresher.RunAsync(_stop.Token);
        await _firstPicture.Task.WaitAsync(Wait);

        // The loop hangs in a read of one VM; meanwhile far more marks arrive than the inbox holds.
        _hypervisor.ReadGate.Reset();
        _refresher.Post(known);
        Eventually(Reading, "the loop is in the read");
        for (int i = 0; i < 2 * VmRefresher.InboxCapacity; i++) _refresher.Post(Guid.NewGuid());
        Assert.InRange(_refresher.Overflows, VmRefresher.InboxCapacity - 1, 2 * VmRefresher.InboxCapacity);

        // A VM defined without an event: only a read of everything finds it.
        var quiet = new VmState { Uuid = Guid.NewGuid(), Name = "quiet", Power = PowerState.Off, Vcpus = 1, MemoryKib = 65536 };
        _hypervisor.Set(quiet, raiseEvent: false);
        _hypervisor.ReadGate.Set();
        Eventually(() => _refresher.Current.Vms.Any(v => v.Uuid == quiet.Uuid), "the overflow made the loop read every VM");

        await _stop.CancelAsync();
        await loop.WaitAsync(Wait);
    }

    [Fact]
    public async Task A_reconnect_makes_the_published_view_stale_at_once_until_everything_is_read_again()
    {
        _hypervisor.Define("a", PowerState.Running);
        var loop = _refresher.RunAsync(_stop.Token);
        await _firstPicture.Task.WaitAsync(Wait);
        Assert.True(_refresher.IsCurrent(_refresher.Current));

        _hypervisor.ReadGate.Reset();   // hold the loop in a read so that the re-read cannot finish yet
        _refresher.Post(_refresher.Current.Vms[0].Uuid);
        Eventually(Reading, "the loop is in the read");
        _refresher.ReadEverything(reconnected: true);
        Assert.False(_refresher.IsCurrent(_refresher.Current));   // no report of a table read over the lost connection

        _hypervisor.ReadGate.Set();
        Eventually(() => _refresher.IsCurrent(_refresher.Current), "the read after the reconnect made the view current");
        await _stop.CancelAsync();
        await loop.WaitAsync(Wait);
    }

    [Fact]
    public async Task A_request_expecting_a_receipt_gets_the_datagram_that_carried_its_VM_read_after_it()
    {
        var vm = _hypervisor.Define("a", PowerState.Running);
        var loop = _refresher.RunAsync(_stop.Token);
        await _firstPicture.Task.WaitAsync(Wait);

        var receipt = _refresher.Expect(vm, 7);
        Assert.NotNull(receipt);
        _hypervisor.Set(_hypervisor.Get(vm)! with { Power = PowerState.Paused }, raiseEvent: false);
        _refresher.Post(vm, 7);
        var datagram = await receipt.WaitAsync(Wait);

        Assert.Equal(vm.ToByteArray(), datagram);   // the one record Sent was given: this VM's
        var shown = Assert.Single(_refresher.Current.Vms);
        Assert.Equal(PowerState.Paused, shown.Power);
        Assert.Equal(7UL, shown.Attributes.Number(AttrType.LastRequest));
        await _stop.CancelAsync();
        await loop.WaitAsync(Wait);
    }

    [Fact]
    public async Task A_receipt_no_datagram_pays_is_settled_with_nothing_and_one_given_up_is_forgotten()
    {
        _hypervisor.Define("a", PowerState.Running);
        var loop = _refresher.RunAsync(_stop.Token);
        await _firstPicture.Task.WaitAsync(Wait);

        var missing = Guid.NewGuid();   // a failed add: no VM to read, nothing sent
        var receipt = _refresher.Expect(missing, 8)!;
        _refresher.Post(missing, 8);
        Assert.Null(await receipt.WaitAsync(Wait));

        var abandoned = _refresher.Expect(missing, 9)!;
        _refresher.Forget(9);
        Assert.Null(await abandoned.WaitAsync(Wait));
        await _stop.CancelAsync();
        await loop.WaitAsync(Wait);
    }

    [Fact]
    public void Receipts_expected_at_once_are_bounded_and_the_refusals_counted()
    {
        var vm = Guid.NewGuid();
        for (ulong id = 1; id <= VmRefresher.MaxReceipts; id++) Assert.NotNull(_refresher.Expect(vm, id));
        Assert.Null(_refresher.Expect(vm, VmRefresher.MaxReceipts + 1));
        Assert.Null(_refresher.Expect(vm, 1));   // an id expected already
        Assert.Equal(2, _refresher.ReceiptsRefused);
        _refresher.Forget(1);
        Assert.NotNull(_refresher.Expect(vm, VmRefresher.MaxReceipts + 1));
    }

    // What the loop sends: each list as one datagram whose bytes are its records' uuids.
    private static void Sent(List<VmState> vms, EventSent? sent) =>
        sent?.Invoke(vms.SelectMany(v => v.Uuid.ToByteArray()).ToArray(), 0, vms.Count);

    // Whether a read of one VM is blocked at the gate now.
    private bool Reading() => _hypervisor.ReadsWaiting > 0;

    private static void Eventually(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > until) Assert.Fail($"not within {Wait.TotalSeconds:0} s: {what}");
            Thread.Sleep(5);
        }
    }

    public void Dispose()
    {
        _hypervisor.ReadGate.Set();
        _stop.Cancel();
        _stop.Dispose();
        _workers.Dispose();
        _hypervisor.Dispose();
    }
}
