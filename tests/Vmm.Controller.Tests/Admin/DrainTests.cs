// Drain and undrain (spec §7.4) over the admin socket, with simulated hosts and a fake dispatcher that plays hostd:
// the draining mark comes back in the host's datagrams, and a migration shows the VM on its destination.
using System.Net;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

public sealed class DrainTests
{
    /// <summary>hv-01 with VMs 1-5 running (1 GiB, 2 vCPUs each) and VM 6 off; hv-02 and hv-03 with room.</summary>
    private sealed class DrainFleet : IAsyncDisposable
    {
        private readonly Lock _ingest = new();
        private readonly Dictionary<string, HostSim> _hosts = [];
        private int _inFlight, _started;
        private long _ids = 0x0C0C0000_00000000;

        public DrainFleet(int movable = 5)
        {
            Movable = movable;
            H.Fleet.PastWarmUp();
            byte last = 1;
            foreach (var name in new[] { "hv-01", "hv-02", "hv-03" })
            {
                var sim = H.Fleet.Host(name);
                sim.Address = IPAddress.Parse($"192.0.2.{last++}");
                _hosts[name] = sim;
            }
            var vms = Enumerable.Range(1, movable).Select(n => Vms.Vm(n)).Append(Vms.Vm(6, PowerState.Off)).ToList();
            Feed(Src, Src.CompleteReport(vms));
            Feed(_hosts["hv-02"], _hosts["hv-02"].CompleteReport([]));
            Feed(_hosts["hv-03"], _hosts["hv-03"].CompleteReport([]));
            H.Dispatcher.AnswerAsync = AnswerAsync;
        }

        public AdminHarness H { get; } = new();

        public HostSim Src => _hosts["hv-01"];

        public HostSim Sim(string name) => _hosts[name];

        public int Movable { get; }

        /// <summary>Migrations a test lets run together: each waits until this many are in flight (or none is left to start).</summary>
        public int Parallel { get; set; } = 2;

        public int MaxInFlight;

        /// <summary>The answer to a migrate (default success); called before the VM moves.</summary>
        public Func<FakeDispatcher.Call, AckCode> MigrateAnswer { get; set; } = _ => AckCode.Success;

        /// <summary>Awaited by every migrate before it answers (default: at once).</summary>
        public Task Gate { get; set; } = Task.CompletedTask;

        /// <summary>Applies datagrams as the ingest thread would: one at a time.</summary>
        public void Feed(HostSim host, params IEnumerable<byte[]> datagrams)
        {
            lock (_ingest) H.Fleet.Send(host, datagrams);
        }

        public void Mark(string host, bool draining)
        {
            lock (_ingest)
            {
                var sim = _hosts[host];
                sim.Marks = draining ? HostStatus.Draining : HostStatus.None;
                Feed(sim, sim.Event());
            }
        }

        private async Task<DispatchResult> AnswerAsync(FakeDispatcher.Call call, CancellationToken cancel)
        {
            ulong id = (ulong)Interlocked.Increment(ref _ids);
            if (call.Code == RequestCode.Drain)
            {
                Mark(call.Host.Name, call.Parameters.Number(AttrType.Draining) == 1);
                return new DispatchResult(AckCode.Success, id, Guid.Empty, []);
            }
            if (call.Code != RequestCode.Migrate) return new DispatchResult(AckCode.Failure, id, call.Vm, new AttrList().AddMessage("not a drain's request"));
            int now = Interlocked.Increment(ref _inFlight);
            int started = Interlocked.Increment(ref _started);
            lock (_ingest) MaxInFlight = Math.Max(MaxInFlight, now);
            await Eventually.True(() => Volatile.Read(ref _inFlight) >= Parallel || Volatile.Read(ref _started) >= Movable, "the moves to overlap");
            await Gate.WaitAsync(cancel);
            var code = MigrateAnswer(call);
            if (code == AckCode.Success)
            {
                var dest = _hosts.Values.Single(h => $"qemu+tcp://{h.Name}/system" == call.Parameters.Text(AttrType.DestUri));
                int n = Enumerable.Range(1, 6).Single(i => Vms.Uuid(i) == call.Vm);
                // Built under the ingest lock too: two moves building datagrams of one host at once could feed them
                // out of sequence order, and the later-fed one would be dropped as stale.
                lock (_ingest)
                {
                    Feed(dest, dest.Event(Vms.Vm(n) with { Reason = 2 }));
                    Feed(_hosts[call.Host.Name], _hosts[call.Host.Name].Event(Vms.Tombstone(n)));
                }
            }
            Interlocked.Decrement(ref _inFlight);
            return new DispatchResult(code, id, call.Vm, code == AckCode.Success ? new AttrList() : new AttrList().AddMessage("migration refused"));
        }

        public async Task<(AdminHostPdu? Host, List<AdminVmPdu> Steps, AdminResultPdu Result)> DrainAsync(ushort? parallel = null)
        {
            using var c = H.Connect();
            var filters = new AttrList().Add(AttrType.Host, "hv-01");
            if (parallel is { } p) filters.Add(AttrType.Parallel, p);
            c.Send(new AdminQueryPdu { What = QueryKind.Drain, Filters = filters });
            var (items, result) = await c.ReplyAsync();
            return (items.OfType<AdminHostPdu>().SingleOrDefault(), items.OfType<AdminVmPdu>().ToList(), result);
        }

        public ValueTask DisposeAsync() => H.DisposeAsync();
    }

    private static DrainOutcome Outcome(AdminVmPdu v) => (DrainOutcome)v.Attributes.Number(AttrType.DrainOutcome)!.Value;

    private static List<AdminVmPdu> Final(List<AdminVmPdu> steps) => steps.Where(s => Outcome(s) != DrainOutcome.Moving).ToList();

    [Fact]
    public async Task The_history_has_the_drain_its_moves_and_each_step_with_the_callers_uid()
    {
        await using var f = new DrainFleet { Parallel = 2 };
        var (_, steps, result) = await f.DrainAsync(parallel: 2);
        Assert.Equal(AckCode.Success, result.Code);

        var events = f.H.Fleet.Inventory.Events.Find(new Events.EventFilter());
        var requests = events.Where(e => e.Kind == EventKind.Request).ToList();
        Assert.All(requests, r => Assert.True(r.FromAdmin));
        uint uid = requests[0].Uid;
        Assert.Equal(5, requests.Count(r => r.Value == (byte)RequestCode.Migrate && r.Ack == AckCode.Success && r.Uid == uid));
        var drain = Assert.Single(requests, r => r.Value == (byte)RequestCode.Drain);
        Assert.Equal("hv-01", drain.Host);
        Assert.StartsWith("drain: host hv-01 drained", drain.Text);
        // Each step a decision, of the drain's caller; the last event is the drain's own RESULT.
        var decisions = events.Where(e => e.Kind == EventKind.Decision).ToList();
        Assert.Equal(steps.Count, decisions.Count);
        Assert.All(decisions, d => Assert.Equal(uid, d.Uid));
        Assert.Contains(decisions, d => d.Text!.Contains("moved to", StringComparison.Ordinal));
        Assert.Equal(drain.Id, events[^1].Id);
    }

    [Fact]
    public async Task Drain_marks_the_host_moves_every_running_VM_live_within_the_bound_and_stops_nothing()
    {
        await using var f = new DrainFleet { Parallel = 2 };
        var (host, steps, result) = await f.DrainAsync(parallel: 2);

        Assert.Equal(AckCode.Success, result.Code);
        Assert.StartsWith("host hv-01 drained", result.Attributes.Text(AttrType.Message));
        Assert.Contains("5 moved", result.Attributes.Text(AttrType.Message));
        Assert.Equal(1UL, host!.Attributes.Number(AttrType.Draining));
        Assert.True(f.H.Fleet.HostView("hv-01").Draining);

        var done = Final(steps);
        Assert.Equal(6, done.Count);
        var moved = done.Where(s => Outcome(s) == DrainOutcome.Moved).ToList();
        Assert.Equal(5, moved.Count);
        Assert.All(moved, m => Assert.NotEqual("hv-01", m.Host));
        Assert.All(moved, m => Assert.Equal(m.Host, m.Attributes.Text(AttrType.DestHost)));
        Assert.All(moved, m => Assert.Equal((ulong)AckCode.Success, m.Attributes.Number(AttrType.LastAck)));
        // Each move was announced before it ended, to the host it ended on.
        foreach (var m in moved)
            Assert.Contains(steps, s => Outcome(s) == DrainOutcome.Moving && s.Vm.Uuid == m.Vm.Uuid && s.Attributes.Text(AttrType.DestHost) == m.Host
                && steps.IndexOf(s) < steps.IndexOf(m));
        var off = Assert.Single(done, s => Outcome(s) == DrainOutcome.NotRunning);
        Assert.Equal((Vms.Uuid(6), "hv-01"), (off.Vm.Uuid, off.Host));
        Assert.Contains("only a running VM moves live", off.Attributes.Text(AttrType.Message));

        // Bounded: two at a time, never more. Nothing but the mark and migrations was asked of any host.
        Assert.Equal(2, f.MaxInFlight);
        Assert.All(f.H.Dispatcher.Calls, c => Assert.True(c.Code is RequestCode.Drain or RequestCode.Migrate, $"{c.Code} sent"));
        Assert.Equal(5, f.H.Dispatcher.Calls.Count(c => c.Code == RequestCode.Migrate));
        Assert.Equal([Vms.Uuid(6)], f.H.Fleet.VmIds("hv-01"));
        Assert.Equal(5, f.H.Fleet.VmIds("hv-02").Count + f.H.Fleet.VmIds("hv-03").Count);
    }

    [Fact]
    public async Task The_bound_is_the_controllers_setting_unless_the_query_says_otherwise()
    {
        await using var one = new DrainFleet { Parallel = 1 };
        Assert.Equal(AckCode.Success, (await one.DrainAsync(parallel: 1)).Result.Code);
        Assert.Equal(1, one.MaxInFlight);

        await using var byDefault = new DrainFleet { Parallel = new AdminOptions().DrainParallel };
        Assert.Equal(AckCode.Success, (await byDefault.DrainAsync()).Result.Code);
        Assert.Equal(new AdminOptions().DrainParallel, byDefault.MaxInFlight);

        await using var wide = new DrainFleet { Parallel = 5 };
        Assert.Equal(AckCode.Success, (await wide.DrainAsync(parallel: 8)).Result.Code);
        Assert.Equal(5, wide.MaxInFlight);
    }

    [Fact]
    public async Task Placement_skips_draining_hosts_and_the_drained_host()
    {
        await using var f = new DrainFleet();
        f.Mark("hv-03", draining: true);
        var (_, steps, result) = await f.DrainAsync();
        Assert.Equal(AckCode.Success, result.Code);
        Assert.All(Final(steps).Where(s => Outcome(s) == DrainOutcome.Moved), s => Assert.Equal("hv-02", s.Host));
        Assert.Empty(f.H.Fleet.VmIds("hv-03"));

        // An add is not placed on a draining host either, even the one with the most room.
        var add = new Placer().Choose(f.H.Fleet.Inventory.Hosts(), 1, 1024);
        Assert.Equal("hv-02", add.Host);
    }

    [Fact]
    public async Task VMs_with_no_room_stay_running_and_are_listed_with_the_reason()
    {
        await using var f = new DrainFleet();
        foreach (var name in new[] { "hv-02", "hv-03" })
        {
            var sim = f.Sim(name);
            sim.Facts = new AttrList().Add(AttrType.Cpus, 16).Add(AttrType.MemoryTotal, 1UL << 20).Add(AttrType.MemoryFree, 512 * 1024)
                .Add(AttrType.Port, 7401).Add(AttrType.MigrationUri, $"qemu+tcp://{name}/system");
            f.Feed(sim, sim.CompleteReport([]));
        }
        var (_, steps, result) = await f.DrainAsync();

        Assert.Equal(AckCode.Unavailable, result.Code);
        Assert.Contains("5 still running here (5 no room)", result.Attributes.Text(AttrType.Message));
        var noRoom = Final(steps).Where(s => Outcome(s) == DrainOutcome.NoRoom).ToList();
        Assert.Equal(5, noRoom.Count);
        Assert.All(noRoom, s => Assert.Contains("no host has room", s.Attributes.Text(AttrType.Message)));
        Assert.DoesNotContain(f.H.Dispatcher.Calls, c => c.Code != RequestCode.Drain);
        Assert.Equal(6, f.H.Fleet.VmIds("hv-01").Count);
        Assert.All(f.H.Fleet.Inventory.Vms("hv-01").Where(v => v.Uuid != Vms.Uuid(6)), v => Assert.Equal(PowerState.Running, v.ReportedPower));
    }

    [Fact]
    public async Task A_failed_migration_leaves_its_VM_running_where_it_was_and_the_others_move()
    {
        await using var f = new DrainFleet { MigrateAnswer = c => c.Vm == Vms.Uuid(3) ? AckCode.Failure : AckCode.Success };
        var (_, steps, result) = await f.DrainAsync();

        Assert.Equal(AckCode.Failure, result.Code);
        Assert.Contains("4 moved, 1 still running here (1 failed)", result.Attributes.Text(AttrType.Message));
        var failed = Assert.Single(Final(steps), s => Outcome(s) == DrainOutcome.Failed);
        Assert.Equal((Vms.Uuid(3), "hv-01", (ulong)AckCode.Failure), (failed.Vm.Uuid, failed.Host, failed.Attributes.Number(AttrType.LastAck)));
        Assert.Contains("migration refused", failed.Attributes.Text(AttrType.Message));
        Assert.Equal([Vms.Uuid(3), Vms.Uuid(6)], f.H.Fleet.VmIds("hv-01"));
    }

    [Fact]
    public async Task An_undrain_during_the_drain_starts_no_further_move()
    {
        await using var f = new DrainFleet { Parallel = 1 };
        f.MigrateAnswer = _ =>
        {
            if (f.H.Fleet.HostView("hv-01").Draining) f.Mark("hv-01", draining: false);
            return AckCode.Success;
        };
        var (_, steps, result) = await f.DrainAsync(parallel: 1);

        Assert.Equal(AckCode.Failure, result.Code);
        var done = Final(steps);
        Assert.Single(done, s => Outcome(s) == DrainOutcome.Moved);
        Assert.Equal(4, done.Count(s => Outcome(s) == DrainOutcome.Undrained));
        Assert.Equal(1, f.H.Dispatcher.Calls.Count(c => c.Code == RequestCode.Migrate));
    }

    [Fact]
    public async Task A_second_drain_of_a_host_being_drained_is_busy_and_undrain_clears_the_mark()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var f = new DrainFleet { Parallel = 1, Gate = gate.Task };
        var first = f.DrainAsync(parallel: 1);
        await Eventually.True(() =>
        {
            lock (f.H.Dispatcher.Calls) return f.H.Dispatcher.Calls.Any(c => c.Code == RequestCode.Migrate);
        }, "the first move to start");

        var (_, steps, busy) = await f.DrainAsync();
        Assert.Equal(AckCode.Busy, busy.Code);
        Assert.Empty(steps);
        gate.SetResult();
        Assert.Equal(AckCode.Success, (await first).Result.Code);

        using var c = f.H.Connect();
        c.Send(new AdminQueryPdu { What = QueryKind.Undrain, Filters = new AttrList().Add(AttrType.Host, "hv-01") });
        var (items, undrained) = await c.ReplyAsync();
        Assert.Empty(items);
        Assert.Equal(AckCode.Success, undrained.Code);
        Assert.False(f.H.Fleet.HostView("hv-01").Draining);
        var drainCalls = f.H.Dispatcher.Calls.Where(x => x.Code == RequestCode.Drain).Select(x => x.Parameters.Number(AttrType.Draining)).ToList();
        Assert.Equal([1UL, 0UL], drainCalls);
    }

    [Theory]
    [InlineData(QueryKind.Drain)]
    [InlineData(QueryKind.Undrain)]
    public async Task Drain_and_undrain_need_a_host_that_is_up(QueryKind what)
    {
        await using var f = new DrainFleet();
        using var c = f.H.Connect();
        c.Send(new AdminQueryPdu { What = what });
        Assert.Equal(AckCode.Failure, (await c.ReplyAsync()).Result.Code);
        c.Send(new AdminQueryPdu { What = what, Filters = new AttrList().Add(AttrType.Host, "hv-99") });
        Assert.Equal(AckCode.NotFound, (await c.ReplyAsync()).Result.Code);

        f.H.Fleet.Silence(5);
        f.H.Fleet.Inventory.Sweep();
        c.Send(new AdminQueryPdu { What = what, Filters = new AttrList().Add(AttrType.Host, "hv-01") });
        var (_, down) = await c.ReplyAsync();
        Assert.Equal(AckCode.Unavailable, down.Code);
        Assert.Empty(f.H.Dispatcher.Calls);
    }
}
