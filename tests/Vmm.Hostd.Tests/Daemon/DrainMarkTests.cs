// The draining mark (spec §6.1, §8.1 drain): set and cleared by a request, kept in state-path so that it outlives
// hostd, and carried in every STATE datagram as the draining status bit.
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

public sealed class DrainMarkTests : IDisposable
{
    private static ulong _counter;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"vmm-drain-{Guid.NewGuid():N}");

    private static RequestPdu Drain(DaemonFixture f, ulong? draining) => new()
    {
        RequestId = 0x0D0D0000_00000000UL | Interlocked.Increment(ref _counter),
        BootId = f.Boot,
        Code = RequestCode.Drain,
        Parameters = draining is { } d ? new AttrList().Add(AttrType.Draining, d) : [],
    };

    private string MarkFile => Path.Combine(_dir, "draining");

    private static bool Draining(StatePdu s) => (s.Status & HostStatus.Draining) != 0;

    [Fact]
    public async Task Drain_sets_the_mark_stores_it_and_every_kind_of_datagram_carries_it()
    {
        await using var f = new DaemonFixture(statePath: _dir);
        f.Hypervisor.Define("a");
        Assert.False(Draining(f.ReceiveStateUntil(s => s.Pages > 0)));
        using var c = f.Connect();

        var ack = c.Call(Drain(f, 1));
        Assert.Equal((AckCode.Success, AckFlags.None), (ack.Code, ack.Flags));
        Assert.True(File.Exists(MarkFile), "the mark is stored before the ACK");
        Assert.True(f.Daemon.Drain.Draining);
        // From the first datagram with the bit on (sent with the ACK), every datagram carries it: reports and liveness
        // datagrams alike (8 datagrams are two heartbeat intervals).
        f.ReceiveStateUntil(Draining);
        var next = Enumerable.Range(0, 8).Select(_ => f.ReceiveState()).ToList();
        Assert.All(next, s => Assert.True(Draining(s)));
        Assert.Contains(next, s => s.Pages > 0);
        Assert.Contains(next, s => s.Pages == 0);

        var again = c.Call(Drain(f, 1));
        Assert.Equal((AckCode.Success, AckFlags.Unchanged), (again.Code, again.Flags));
    }

    [Fact]
    public async Task The_mark_survives_a_restart_of_hostd_and_undrain_clears_it_everywhere()
    {
        await using (var first = new DaemonFixture(statePath: _dir))
        {
            using var c = first.Connect();
            Assert.Equal(AckCode.Success, c.Call(Drain(first, 1)).Code);
        }
        await using var second = new DaemonFixture(statePath: _dir);
        Assert.True(second.Daemon.Drain.Draining);
        Assert.True(Draining(second.ReceiveStateUntil(s => s.Pages > 0)), "the first report of the new boot says draining");

        using var c2 = second.Connect();
        var ack = c2.Call(Drain(second, 0));
        Assert.Equal((AckCode.Success, AckFlags.None), (ack.Code, ack.Flags));
        Assert.False(File.Exists(MarkFile));
        second.ReceiveStateUntil(s => !Draining(s));
        for (int i = 0; i < 8; i++) Assert.False(Draining(second.ReceiveState()));
    }

    [Theory]
    [InlineData(null, "drain needs draining")]
    [InlineData(2UL, "draining is 2")]
    public async Task A_drain_without_a_valid_draining_fails_and_changes_nothing(ulong? value, string message)
    {
        await using var f = new DaemonFixture(statePath: _dir);
        using var c = f.Connect();
        var ack = c.Call(Drain(f, value));
        Assert.Equal(AckCode.Failure, ack.Code);
        Assert.StartsWith(message, ack.Results.Text(AttrType.Message));
        Assert.False(f.Daemon.Drain.Draining);
        Assert.False(File.Exists(MarkFile));
    }

    [Fact]
    public async Task A_mark_that_cannot_be_stored_is_a_failure_and_the_host_is_not_marked()
    {
        File.WriteAllText(_dir, "a file where the state folder should be");
        await using var f = new DaemonFixture(statePath: _dir);
        using var c = f.Connect();
        var ack = c.Call(Drain(f, 1));
        Assert.Equal(AckCode.Failure, ack.Code);
        Assert.Contains("cannot store the draining mark", ack.Results.Text(AttrType.Message));
        Assert.False(f.Daemon.Drain.Draining);
        Assert.False(Draining(f.ReceiveStateUntil(s => s.Pages > 0)));
    }

    [Fact]
    public async Task Drain_is_done_while_the_hypervisor_is_unreachable_and_touches_no_VM()
    {
        await using var f = new DaemonFixture(statePath: _dir);
        var vm = f.Hypervisor.Define("a");
        f.Hypervisor.SetReachable(false);
        using var c = f.Connect();
        Assert.Equal(AckCode.Success, c.Call(Drain(f, 1)).Code);
        var s = f.ReceiveStateUntil(x => x.Status.HasFlag(HostStatus.Unreachable) && Draining(x));
        Assert.Equal(HostStatus.Unreachable | HostStatus.Draining, s.Status);
        Assert.Empty(f.Hypervisor.Executed);
        Assert.Equal(PowerState.Off, f.Hypervisor.Get(vm)!.Power);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        else if (File.Exists(_dir)) File.Delete(_dir);
    }
}
