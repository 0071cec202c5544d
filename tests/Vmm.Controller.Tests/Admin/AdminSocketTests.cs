using System.Net;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

/// <summary>The admin socket end to end over a real Unix socket (spec §7.4, §7.5, §9).</summary>
public sealed class AdminSocketTests
{
    // hv-a: 16 CPUs, 32 GiB free; hv-b: 4 CPUs, 512 MiB free, port 7402, its own migration URI.
    private static Task<AdminHarness> WithFleet()
    {
        var h = new AdminHarness();
        h.Fleet.PastWarmUp();
        var a = h.Fleet.Host("hv-a");
        a.Address = IPAddress.Parse("192.0.2.1");
        var b = h.Fleet.Host("hv-b");
        b.Address = IPAddress.Parse("192.0.2.2");
        b.Facts = new AttrList().Add(AttrType.Cpus, 4).Add(AttrType.MemoryFree, 512 * 1024).Add(AttrType.Port, 7402)
            .Add(AttrType.MigrationUri, "qemu+tls://hv-b.example/system");
        h.Fleet.Send(a, a.CompleteReport([Vms.Vm(1, name: "web-1"), Vms.Vm(2, name: "db-1")]));
        h.Fleet.Send(b, b.CompleteReport([Vms.Vm(3, name: "web-2")]));
        return Task.FromResult(h);
    }

    [Fact]
    public async Task Hosts_query_lists_every_host_then_RESULT()
    {
        await using var h = await WithFleet();
        using var c = h.Connect();
        c.Send(new AdminQueryPdu { What = QueryKind.Hosts });
        var (items, result) = await c.ReplyAsync();
        Assert.Equal(AckCode.Success, result.Code);
        var hosts = items.Cast<AdminHostPdu>().ToList();
        Assert.Equal(["hv-a", "hv-b"], hosts.Select(x => x.Name));
        Assert.All(hosts, x => Assert.Equal(HostState.Up, x.State));
        Assert.Equal("192.0.2.2", hosts[1].Attributes.Text(AttrType.Address));
        Assert.Equal("qemu+tls://hv-b.example/system", hosts[1].Attributes.Text(AttrType.MigrationUri));
        Assert.Equal(1UL, hosts[1].Attributes.Number(AttrType.Accepted));
    }

    [Fact]
    public async Task Vms_query_filters_by_host_and_by_ref()
    {
        await using var h = await WithFleet();
        using var c = h.Connect();
        c.Send(new AdminQueryPdu { What = QueryKind.Vms, Filters = new AttrList().Add(AttrType.Host, "hv-a") });
        var (onA, r1) = await c.ReplyAsync();
        Assert.Equal(AckCode.Success, r1.Code);
        Assert.Equal(["db-1", "web-1"], onA.Cast<AdminVmPdu>().Select(v => v.Vm.Name));

        c.Send(new AdminQueryPdu { What = QueryKind.Vms, Filters = new AttrList().Add(AttrType.Ref, Vms.Uuid(3).ToString()) });
        var (one, r2) = await c.ReplyAsync();
        var vm = Assert.IsType<AdminVmPdu>(Assert.Single(one));
        Assert.Equal(("hv-b", "web-2", PowerState.Running), (vm.Host, vm.Vm.Name, vm.Vm.Power));
        Assert.Equal(AckCode.Success, r2.Code);

        c.Send(new AdminQueryPdu { What = QueryKind.Vms, Filters = new AttrList().Add(AttrType.Ref, "nope") });
        var (none, r3) = await c.ReplyAsync();
        Assert.Empty(none);
        Assert.Equal(AckCode.NotFound, r3.Code);

        c.Send(new AdminQueryPdu { What = QueryKind.Hosts, Filters = new AttrList().Add(AttrType.Host, "hv-zz") });
        Assert.Equal(AckCode.NotFound, (await c.ReplyAsync()).Result.Code);
    }

    [Fact]
    public async Task Watch_streams_changes_as_they_are_applied()
    {
        await using var h = await WithFleet();
        using var c = h.Connect();
        c.Send(new AdminQueryPdu { What = QueryKind.Watch, Filters = new AttrList().Add(AttrType.Host, "hv-a") });
        await Eventually.True(() => h.Fleet.Inventory.Watchers.Watches("hv-a"), "the watch to start");

        // The live boot of hv-a sends its next datagram.
        var hosts = h.Fleet.Inventory.Hosts("hv-a");
        var live = new HostSim("hv-a", Fleet.Key.DeriveHostKey("hv-a"), hosts[0].BootId) { Sequence = hosts[0].Sequence, Address = IPAddress.Parse("192.0.2.1") };
        h.Fleet.Send(live, live.Event(Vms.Vm(1, PowerState.Paused, name: "web-1")));

        var pdu = await c.ReadAsync();
        var vm = Assert.IsType<AdminVmPdu>(pdu);
        Assert.Equal(("web-1", PowerState.Paused), (vm.Vm.Name, vm.Vm.Power));

        h.Fleet.Silence(3);
        h.Fleet.Inventory.Sweep();
        var down = Assert.IsType<AdminHostPdu>(await c.ReadAsync());
        Assert.Equal(HostState.Down, down.State);
        var unknown = Assert.IsType<AdminVmPdu>(await c.ReadAsync());
        Assert.Equal(PowerState.Unknown, unknown.Vm.Power);
        Assert.NotNull(unknown.Attributes.Number(AttrType.LastPower));
    }

    [Fact]
    public async Task Submit_resolves_the_VM_strips_admin_attributes_and_answers_with_the_ack()
    {
        await using var h = await WithFleet();
        h.Dispatcher.Answer = call => new DispatchResult(AckCode.Failure, 77, call.Vm,
            new AttrList().Add(AttrType.ErrorCode, 55).Add(AttrType.Message, "domain is not running").Add(AttrType.DurationUs, 12));
        using var c = h.Connect();
        var result = await c.SubmitAsync(RequestCode.Stop, new AttrList().Add(AttrType.Ref, "web-2").Add(AttrType.TimeoutMs, 5000), RequestFlags.Force);

        var call = Assert.Single(h.Dispatcher.Calls);
        Assert.Equal(("hv-b", new IPEndPoint(IPAddress.Parse("192.0.2.2"), 7402)), (call.Host.Name, call.Host.Endpoint));
        Assert.Equal(h.Fleet.HostView("hv-b").BootId, call.Host.BootId);
        Assert.Equal((RequestCode.Stop, RequestFlags.Force, Vms.Uuid(3)), (call.Code, call.Flags, call.Vm));
        Assert.Equal([AttrType.TimeoutMs], call.Parameters.Select(a => a.Type));

        Assert.Equal(AckCode.Failure, result.Code);
        Assert.Equal(77UL, result.RequestId);
        Assert.Equal(Vms.Uuid(3), result.Vm);
        Assert.Equal("domain is not running", result.Attributes.Text(AttrType.Message));
        Assert.Equal(55UL, result.Attributes.Number(AttrType.ErrorCode));
        Assert.Equal("hv-b", result.Attributes.Text(AttrType.Host));
        Assert.Null(result.Attributes.Find(AttrType.DurationUs));

        // The inventory shows it as the VM's last request.
        var shown = AdminReplies.Vm(h.Fleet.Vm(3)!);
        Assert.Equal((ulong)RequestCode.Stop, shown.Attributes.Number(AttrType.LastCode));
        Assert.Equal((ulong)AckCode.Failure, shown.Attributes.Number(AttrType.LastAck));
    }

    [Fact]
    public async Task Submit_with_a_critical_attribute_foreign_to_its_code_is_unsupported_and_reaches_no_host()
    {
        await using var h = await WithFleet();
        using var c = h.Connect();
        var p = new AttrList().Add(AttrType.Ref, "web-2").Add(new Attr { Type = AttrType.DestUri, Critical = true, Text = "x" });
        var result = await c.SubmitAsync(RequestCode.Pause, p);
        Assert.Equal(AckCode.Unsupported, result.Code);
        Assert.Contains("dest-uri", result.Attributes.Text(AttrType.Message));
        Assert.Empty(h.Dispatcher.Calls);
    }

    [Fact]
    public async Task Submit_for_an_unknown_VM_is_not_found_and_reaches_no_host()
    {
        await using var h = await WithFleet();
        using var c = h.Connect();
        var result = await c.SubmitAsync(RequestCode.Start, new AttrList().Add(AttrType.Ref, "ghost"));
        Assert.Equal(AckCode.NotFound, result.Code);
        Assert.Contains("ghost", result.Attributes.Text(AttrType.Message));
        Assert.Empty(h.Dispatcher.Calls);
    }

    [Fact]
    public async Task A_miss_right_after_start_is_looked_up_again_once_every_live_host_has_had_its_heartbeat()
    {
        // The controller's first down-after intervals: a VM it has not heard of may still exist. The lookup waits them
        // out (3 x 1 s of real time, while the test moves the inventory's clock on) and only then answers. With
        // 100 ms intervals, a loaded machine that held this test up for 250 ms ended the wait before the report came.
        var h = new AdminHarness(new InventoryOptions { HeartbeatInterval = TimeSpan.FromSeconds(1) });
        await using var _ = h;
        var a = h.Fleet.Host("hv-a");
        h.Fleet.Send(a, a.CompleteReport([Vms.Vm(1, name: "web-1")]));
        using var c = h.Connect();

        var start = c.SubmitAsync(RequestCode.Start, new AttrList().Add(AttrType.Ref, "ghost"));
        await Task.Delay(50);
        Assert.False(start.IsCompleted, "a miss within the warm-up was answered at once");
        h.Fleet.Silence(1);
        h.Fleet.Send(a, a.CompleteReport([Vms.Vm(1, name: "web-1"), Vms.Vm(2, name: "ghost")]));
        h.Fleet.Silence(2);
        var result = await start;
        Assert.Equal(AckCode.Success, result.Code);
        Assert.Equal(Vms.Uuid(2), Assert.Single(h.Dispatcher.Calls).Vm);

        // After the warm-up, a miss among complete reports is final at once.
        Assert.Equal(AckCode.NotFound, (await c.SubmitAsync(RequestCode.Start, new AttrList().Add(AttrType.Ref, "nobody"))).Code);
    }

    [Fact]
    public async Task A_host_whose_report_is_incomplete_keeps_a_miss_unavailable()
    {
        var h = new AdminHarness();
        await using var _ = h;
        h.Fleet.PastWarmUp();
        var a = h.Fleet.Host("hv-a");
        var pages = a.CompleteReport([Vms.Vm(1, name: "web-1"), Vms.Vm(2, name: "web-2"), Vms.Vm(3, name: "web-3")], perPage: 1);
        h.Fleet.Send(a, pages.Take(pages.Count - 1));
        using var c = h.Connect();

        var start = await c.SubmitAsync(RequestCode.Start, new AttrList().Add(AttrType.Ref, "web-3"));
        Assert.Equal(AckCode.Unavailable, start.Code);
        Assert.Contains("host hv-a has not completed a report since the controller started", start.Attributes.Text(AttrType.Message));
        var add = await c.SubmitAsync(RequestCode.Add, new AttrList().Add(AttrType.Name, "web-3").Add(AttrType.Host, "hv-a"));
        Assert.Equal(AckCode.Unavailable, add.Code);
        Assert.Contains("cannot tell yet whether a VM named web-3 exists", add.Attributes.Text(AttrType.Message));
        c.Send(new AdminQueryPdu { What = QueryKind.Vms, Filters = new AttrList().Add(AttrType.Ref, "web-3") });
        Assert.Equal(AckCode.Unavailable, (await c.ReplyAsync()).Result.Code);
        Assert.Empty(h.Dispatcher.Calls);

        h.Fleet.Send(a, pages[^1]);
        Assert.Equal(AckCode.Success, (await c.SubmitAsync(RequestCode.Start, new AttrList().Add(AttrType.Ref, "web-3"))).Code);
    }

    [Fact]
    public async Task A_pinned_host_never_heard_keeps_a_miss_unavailable()
    {
        var h = new AdminHarness(new InventoryOptions { Pins = [new HostPin("hv-p", null)] });
        h.Fleet.PastWarmUp();
        await using var _ = h;
        using var c = h.Connect();
        var result = await c.SubmitAsync(RequestCode.Start, new AttrList().Add(AttrType.Ref, "ghost"));
        Assert.Equal(AckCode.Unavailable, result.Code);
        Assert.Contains("pinned host hv-p has not been heard", result.Attributes.Text(AttrType.Message));
    }

    [Fact]
    public async Task Submit_for_a_VM_on_a_down_host_is_unavailable()
    {
        await using var h = await WithFleet();
        h.Fleet.Silence(3);
        using var c = h.Connect();
        var result = await c.SubmitAsync(RequestCode.Start, new AttrList().Add(AttrType.Ref, "web-1"));
        Assert.Equal(AckCode.Unavailable, result.Code);
        Assert.Contains("down", result.Attributes.Text(AttrType.Message));
        Assert.Empty(h.Dispatcher.Calls);
    }

    [Fact]
    public async Task Add_without_host_is_placed_and_says_clearly_when_nothing_fits()
    {
        await using var h = await WithFleet();
        using var c = h.Connect();
        var placed = await c.SubmitAsync(RequestCode.Add, new AttrList().Add(AttrType.Name, "new-1").Add(AttrType.Vcpus, 2).Add(AttrType.Memory, 4UL << 20));
        Assert.Equal(AckCode.Success, placed.Code);
        Assert.Equal("hv-a", Assert.Single(h.Dispatcher.Calls).Host.Name); // hv-b has 512 MiB free
        Assert.Equal("hv-a", placed.Attributes.Text(AttrType.Host));

        var refused = await c.SubmitAsync(RequestCode.Add, new AttrList().Add(AttrType.Name, "huge").Add(AttrType.Vcpus, 64).Add(AttrType.Memory, 1UL << 30));
        Assert.Equal(AckCode.Unavailable, refused.Code);
        Assert.StartsWith("no host has room for 64 vCPUs and 1 TiB: largest free is 32 GiB", refused.Attributes.Text(AttrType.Message));
        Assert.Single(h.Dispatcher.Calls);

        var pinned = await c.SubmitAsync(RequestCode.Add, new AttrList().Add(AttrType.Name, "there").Add(AttrType.Host, "hv-b"));
        Assert.Equal("hv-b", h.Dispatcher.Calls[1].Host.Name);
        Assert.DoesNotContain(h.Dispatcher.Calls[1].Parameters, a => a.Type == AttrType.Host);
        Assert.Equal(AckCode.Success, pinned.Code);
    }

    [Fact]
    public async Task A_name_is_the_fleets_an_add_of_a_name_that_exists_on_any_host_is_refused()
    {
        await using var h = await WithFleet();
        using var c = h.Connect();
        // web-2 is on hv-b: neither placement nor --host hv-a makes a second one.
        foreach (var attrs in new[] { new AttrList().Add(AttrType.Name, "web-2"), new AttrList().Add(AttrType.Name, "web-2").Add(AttrType.Host, "hv-a") })
        {
            var refused = await c.SubmitAsync(RequestCode.Add, attrs);
            Assert.Equal(AckCode.Failure, refused.Code);
            Assert.Equal($"a VM named web-2 exists already ({Vms.Uuid(3)} on host hv-b): VM names are unique in the fleet",
                refused.Attributes.Text(AttrType.Message));
        }
        Assert.Empty(h.Dispatcher.Calls);
    }

    [Fact]
    public async Task Two_creates_in_flight_can_share_neither_a_name_nor_the_last_room_on_a_host()
    {
        await using var h = await WithFleet();
        var answer = new TaskCompletionSource<DispatchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Dispatcher.AnswerAsync = (_, _) => answer.Task;
        using var first = h.Connect();
        using var second = h.Connect();

        // hv-a has 32 GiB free (its default facts), hv-b 512 MiB: the first create takes 20 GiB of hv-a's room.
        var creating = first.SubmitAsync(RequestCode.Add, new AttrList().Add(AttrType.Name, "big-1").Add(AttrType.Memory, 20UL << 20));
        await Eventually.True(() => h.Dispatcher.Calls.Count == 1, "the first create reached the dispatcher");

        var same = await second.SubmitAsync(RequestCode.Add, new AttrList().Add(AttrType.Name, "big-1").Add(AttrType.Host, "hv-b"));
        Assert.Equal(AckCode.Failure, same.Code);
        Assert.Contains("being created already", same.Attributes.Text(AttrType.Message));

        // 20 GiB more fits hv-a as it reports itself, but not beside the create in flight there.
        var next = await second.SubmitAsync(RequestCode.Add, new AttrList().Add(AttrType.Name, "big-2").Add(AttrType.Memory, 20UL << 20));
        Assert.Equal(AckCode.Unavailable, next.Code);
        Assert.StartsWith("no host has room for 1 vCPUs and 20 GiB: largest free is 12 GiB", next.Attributes.Text(AttrType.Message));

        answer.SetResult(new DispatchResult(AckCode.Failure, 7, Guid.Empty, new AttrList().Add(AttrType.Message, "refused")));
        Assert.Equal(AckCode.Failure, (await creating).Code);
        // The RESULT released both: the name and the room are free again.
        h.Dispatcher.AnswerAsync = null;
        Assert.Equal(AckCode.Success, (await second.SubmitAsync(RequestCode.Add, new AttrList().Add(AttrType.Name, "big-1").Add(AttrType.Memory, 20UL << 20))).Code);
    }

    [Fact]
    public async Task A_name_on_two_hosts_is_ambiguous_until_the_host_is_named()
    {
        // One name on two hosts (VMs defined outside Vmm, or two controllers' creates at once).
        await using var h = new AdminHarness();
        h.Fleet.PastWarmUp();
        var a = h.Fleet.Host("hv-a");
        var b = h.Fleet.Host("hv-b");
        b.Address = IPAddress.Parse("192.0.2.2");
        h.Fleet.Send(a, a.CompleteReport([Vms.Vm(1, name: "web-1")]));
        h.Fleet.Send(b, b.CompleteReport([Vms.Vm(4, name: "web-1")]));
        using var c = h.Connect();
        var ambiguous = await c.SubmitAsync(RequestCode.Pause, new AttrList().Add(AttrType.Ref, "web-1"));
        Assert.Equal(AckCode.Failure, ambiguous.Code);
        Assert.Contains("ambiguous", ambiguous.Attributes.Text(AttrType.Message));

        var named = await c.SubmitAsync(RequestCode.Pause, new AttrList().Add(AttrType.Ref, "web-1").Add(AttrType.Host, "hv-b"));
        Assert.Equal(AckCode.Success, named.Code);
        var call = Assert.Single(h.Dispatcher.Calls);
        Assert.Equal(("hv-b", Vms.Uuid(4)), (call.Host.Name, call.Vm));
    }

    [Fact]
    public async Task Migrate_resolves_the_destination_host_to_its_migration_uri()
    {
        await using var h = await WithFleet();
        using var c = h.Connect();
        var result = await c.SubmitAsync(RequestCode.Migrate, new AttrList().Add(AttrType.Ref, "web-1").Add(AttrType.DestHost, "hv-b"));
        Assert.Equal(AckCode.Success, result.Code);
        var call = Assert.Single(h.Dispatcher.Calls);
        Assert.Equal("hv-a", call.Host.Name);
        Assert.Equal("qemu+tls://hv-b.example/system", call.Parameters.Text(AttrType.DestUri));
        Assert.DoesNotContain(call.Parameters, a => a.Type is AttrType.DestHost or AttrType.Ref);

        var nowhere = await c.SubmitAsync(RequestCode.Migrate, new AttrList().Add(AttrType.Ref, "web-1").Add(AttrType.DestHost, "hv-zz"));
        Assert.Equal(AckCode.NotFound, nowhere.Code);
    }

    [Fact]
    public async Task Pipelined_PDUs_are_answered_in_the_order_sent_however_long_each_takes()
    {
        await using var h = await WithFleet();
        var slow = new TaskCompletionSource<DispatchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Dispatcher.AnswerAsync = (call, _) => slow.Task;
        using var c = h.Connect();
        // One write: a SUBMIT the host takes its time over, a hosts QUERY, a SUBMIT refused at once.
        c.SendRaw([
            .. PduCodec.ToBytes(new AdminSubmitPdu { Code = RequestCode.Pause, Parameters = new AttrList().Add(AttrType.Ref, "web-1") }),
            .. PduCodec.ToBytes(new AdminQueryPdu { What = QueryKind.Hosts }),
            .. PduCodec.ToBytes(new AdminSubmitPdu { Code = (RequestCode)99, Parameters = new AttrList().Add(AttrType.Ref, "web-1") }),
        ]);
        await Eventually.True(() => h.Dispatcher.Calls.Count == 1, "the pause to reach the host");
        slow.SetResult(new DispatchResult(AckCode.Failure, 0x1_0000_0001, Vms.Uuid(1), new AttrList().Add(AttrType.Message, "slow no")));

        var (none, first) = await c.ReplyAsync();
        Assert.Empty(none);
        Assert.Equal((AckCode.Failure, "slow no"), (first.Code, first.Attributes.Text(AttrType.Message)));
        var (hosts, second) = await c.ReplyAsync();
        Assert.Equal(2, hosts.Count);
        Assert.Equal(AckCode.Success, second.Code);
        var (_, third) = await c.ReplyAsync();
        Assert.Equal(AckCode.UnknownRequest, third.Code);
    }

    [Fact]
    public async Task Too_many_PDUs_ahead_of_their_answers_get_the_answers_due_then_RESULT_unavailable_and_close()
    {
        await using var h = await WithFleet();
        var held = new TaskCompletionSource<DispatchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Dispatcher.AnswerAsync = (call, _) => held.Task;
        using var c = h.Connect();
        int max = h.Server.Options.MaxPipelined;
        c.Send(new AdminSubmitPdu { Code = RequestCode.Pause, Parameters = new AttrList().Add(AttrType.Ref, "web-1") });
        await Eventually.True(() => h.Dispatcher.Calls.Count == 1, "the pause to reach the host");
        var query = PduCodec.ToBytes(new AdminQueryPdu { What = QueryKind.Hosts });
        c.SendRaw([.. Enumerable.Range(0, max + 5).SelectMany(_ => query)]);
        await Eventually.True(() => h.Log.Any(l => l.Contains($"more than {max} admin PDUs")), "the overload to be noticed");
        held.SetResult(new DispatchResult(AckCode.Failure, 0x1_0000_0001, Vms.Uuid(1), []));

        Assert.Equal(AckCode.Failure, (await c.ReplyAsync()).Result.Code);
        // The SUBMIT in hand is not ahead of its answer; the next max PDUs are, and are answered.
        for (int i = 0; i < max; i++) Assert.Equal(AckCode.Success, (await c.ReplyAsync()).Result.Code);
        var (_, refused) = await c.ReplyAsync();
        Assert.Equal(AckCode.Unavailable, refused.Code);
        Assert.StartsWith($"more than {max} admin PDUs were sent ahead of their answers", refused.Attributes.Text(AttrType.Message));
        Assert.Null(await c.ReadAsync());
    }

    [Fact]
    public async Task Unknown_request_code_is_answered_unknown_request()
    {
        await using var h = await WithFleet();
        using var c = h.Connect();
        var result = await c.SubmitAsync((RequestCode)99, new AttrList().Add(AttrType.Ref, "web-1"));
        Assert.Equal(AckCode.UnknownRequest, result.Code);
        Assert.Empty(h.Dispatcher.Calls);
    }

    [Fact]
    public async Task Unknown_critical_attribute_gets_unsupported_and_the_stream_goes_on()
    {
        await using var h = await WithFleet();
        using var c = h.Connect();
        c.Send(new AdminQueryPdu { What = QueryKind.Hosts, Filters = new AttrList().Add(new Attr { Type = (AttrType)0x7E, Critical = true, Opaque = new Blob([1]) }) });
        Assert.Equal(AckCode.Unsupported, (await c.ReplyAsync()).Result.Code);
        c.Send(new AdminQueryPdu { What = QueryKind.Hosts });
        Assert.Equal(AckCode.Success, (await c.ReplyAsync()).Result.Code);
    }

    [Fact]
    public async Task Garbage_gets_ERROR_and_the_connection_closes()
    {
        await using var h = await WithFleet();
        using var c = h.Connect();
        c.SendRaw("hello controller\n"u8.ToArray());
        var error = Assert.IsType<ErrorPdu>(await c.ReadAsync());
        Assert.Equal(ProtocolErrorCode.BadMagic, error.Code);
        Assert.Null(await c.ReadAsync());
    }

    [Fact]
    public async Task A_PDU_that_does_not_belong_on_the_admin_socket_gets_ERROR_unexpected_type()
    {
        await using var h = await WithFleet();
        using var c = h.Connect();
        c.Send(new AdminQueryPdu { What = QueryKind.Hosts });
        c.Send(new AckPdu { RequestId = 1, Code = AckCode.Success });
        Assert.Equal(AckCode.Success, (await c.ReplyAsync()).Result.Code); // answers already due come first
        var error = Assert.IsType<ErrorPdu>(await c.ReadAsync());
        Assert.Equal(ProtocolErrorCode.UnexpectedType, error.Code);
        Assert.Null(await c.ReadAsync());
    }

    [Fact]
    public async Task Every_request_is_logged_with_the_callers_uid()
    {
        await using var h = await WithFleet();
        using (var c = h.Connect())
        {
            await c.SubmitAsync(RequestCode.Pause, new AttrList().Add(AttrType.Ref, "db-1"));
        }
        string uid = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
        var line = Assert.Single(h.Log, l => l.Contains("submit code=pause"));
        Assert.Contains($"uid={uid} ", line);
        Assert.Contains("-> result code=success", line);
    }

    [Fact]
    public async Task Socket_file_has_mode_0660_a_stale_one_is_replaced_and_a_live_one_refuses_the_start()
    {
        string path = AdminHarness.NewSocketPath();
        // A stale socket file: bound, then its listener gone (moved first, as .NET unlinks the path it bound).
        using (var stale = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, 0))
        {
            stale.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path + ".old"));
            File.Move(path + ".old", path);
        }
        Assert.True(File.Exists(path));

        await using (var h = new AdminHarness(path: path))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(path));
            var second = new AdminServer(new AdminOptions { Path = path }, h.Fleet.Inventory, h.Dispatcher, new Placer(), NLog.LogManager.CreateNullLogger());
            var e = Assert.Throws<AdminSocketException>(second.Start);
            Assert.Contains("another controller is listening", e.Message);
            using var c = h.Connect(); // the first one still serves
            c.Send(new AdminQueryPdu { What = QueryKind.Hosts });
            Assert.Equal(AckCode.Success, (await c.ReplyAsync()).Result.Code);
        }
        Assert.False(File.Exists(path)); // removed at stop
    }
}
