// hostd's request path over a real TCP connection: every answer a controller can get (spec §7, §9).
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

public sealed class RequestServerTests
{
    private static ulong _counter;

    private static ulong NextId(uint origin = 0x0A0B0C0D) => ((ulong)origin << 32) | Interlocked.Increment(ref _counter);

    private static RequestPdu Req(DaemonFixture f, RequestCode code, Guid vm, AttrList? p = null, ulong? id = null) =>
        new() { RequestId = id ?? NextId(), BootId = f.Boot, Code = code, Vm = vm, Parameters = p ?? [] };

    private static string? Message(AckPdu a) => a.Results.FirstOrDefault(r => r.Type == AttrType.Message)?.Text;

    [Fact]
    public async Task Ping_with_boot_zero_answers_success_with_the_boot_id()
    {
        await using var f = new DaemonFixture();
        using var c = f.Connect();
        var ack = c.Call(new RequestPdu { RequestId = 7, Code = RequestCode.Ping });
        Assert.Equal(AckCode.Success, ack.Code);
        Assert.Equal(f.Boot, ack.BootId);
        Assert.Equal(7UL, ack.RequestId);
    }

    [Fact]
    public async Task A_request_for_another_boot_is_refused_and_not_acted_on()
    {
        await using var f = new DaemonFixture();
        var vm = f.Hypervisor.Define("a");
        using var c = f.Connect();
        var ack = c.Call(Req(f, RequestCode.Start, vm) with { BootId = f.Boot ^ 1 });
        Assert.Equal(AckCode.Failure, ack.Code);
        Assert.Contains("boot", Message(ack));
        Assert.Empty(f.Hypervisor.Executed);
        Assert.Equal(PowerState.Off, f.Hypervisor.Get(vm)!.Power);
    }

    [Fact]
    public async Task A_start_changes_the_vm_and_the_ack_carries_id_boot_uuid_and_duration()
    {
        await using var f = new DaemonFixture();
        var vm = f.Hypervisor.Define("a");
        using var c = f.Connect();
        var req = Req(f, RequestCode.Start, vm);
        var ack = c.Call(req);
        Assert.Equal((AckCode.Success, req.RequestId, f.Boot, vm), (ack.Code, ack.RequestId, ack.BootId, ack.Vm));
        Assert.Contains(ack.Results, a => a.Type == AttrType.DurationUs);
        Assert.Equal(PowerState.Running, f.Hypervisor.Get(vm)!.Power);
    }

    [Fact]
    public async Task A_retransmitted_request_gets_the_first_ack_flagged_replayed_and_acts_once()
    {
        await using var f = new DaemonFixture();
        var vm = f.Hypervisor.Define("a");
        var req = Req(f, RequestCode.Start, vm);
        AckPdu first, second;
        using (var c = f.Connect()) first = c.Call(req);
        using (var c = f.Connect()) second = c.Call(req);   // a retry after a lost connection
        Assert.Equal(AckFlags.None, first.Flags);
        Assert.Equal(AckFlags.Replayed, second.Flags);
        Assert.Equal(first.Code, second.Code);
        // The replay carries the first's results but the state datagram that may have shown it, which would be stale
        // by now (spec §7.2).
        Assert.Equal(first.Results.Without(AttrType.State), second.Results);
        Assert.Null(second.Results.Find(AttrType.State));
        Assert.Single(f.Hypervisor.Executed);
    }

    [Fact]
    public async Task An_add_without_uuid_gets_one_uuid_that_a_retry_repeats()
    {
        await using var f = new DaemonFixture();
        using var c = f.Connect();
        var req = Req(f, RequestCode.Add, Guid.Empty, new AttrList().Add(AttrType.Name, "web1"));
        var a1 = c.Call(req);
        var a2 = c.Call(req);
        Assert.NotEqual(Guid.Empty, a1.Vm);
        Assert.Equal(a1.Vm, a2.Vm);
        Assert.Equal("web1", f.Hypervisor.Get(a1.Vm)!.Name);
        Assert.Single(f.Hypervisor.Executed);
    }

    [Fact]
    public async Task A_reused_id_with_other_content_is_refused()
    {
        await using var f = new DaemonFixture();
        var vm = f.Hypervisor.Define("a");
        using var c = f.Connect();
        var req = Req(f, RequestCode.Start, vm);
        c.Call(req);
        var ack = c.Call(req with { Code = RequestCode.Pause });
        Assert.Equal(AckCode.Failure, ack.Code);
        Assert.Contains("reused", Message(ack));
        Assert.Single(f.Hypervisor.Executed);
    }

    [Fact]
    public async Task A_second_request_for_a_busy_vm_is_busy_at_once_while_other_vms_proceed()
    {
        await using var f = new DaemonFixture();
        var a = f.Hypervisor.Define("a");
        var b = f.Hypervisor.Define("b");
        f.Hypervisor.BlockCode = RequestCode.Stop;
        f.Hypervisor.Gate.Reset();
        using var c = f.Connect();
        var stop = Req(f, RequestCode.Stop, a);
        c.Send(stop);
        SpinWait.SpinUntil(() => !f.Hypervisor.Executed.IsEmpty, TimeSpan.FromSeconds(20));

        var busy = c.Call(Req(f, RequestCode.Start, a));
        Assert.Equal(AckCode.Busy, busy.Code);
        var again = c.Call(stop);   // the same id while it is still worked on
        Assert.Equal(AckCode.Busy, again.Code);
        var other = c.Call(Req(f, RequestCode.Start, b));
        Assert.Equal(AckCode.Success, other.Code);

        f.Hypervisor.Gate.Set();
        var done = (AckPdu)c.Receive();
        Assert.Equal((stop.RequestId, AckCode.Success), (done.RequestId, done.Code));
        // Released: the VM takes requests again.
        Assert.Equal(AckCode.Success, c.Call(Req(f, RequestCode.Start, a)).Code);
    }

    [Fact]
    public async Task Pipelined_requests_are_all_answered_on_their_connection()
    {
        await using var f = new DaemonFixture();
        var vms = Enumerable.Range(0, 50).Select(i => f.Hypervisor.Define("vm" + i)).ToArray();
        using var c = f.Connect();
        var reqs = vms.Select(v => Req(f, RequestCode.Start, v)).ToArray();
        foreach (var r in reqs) c.Send(r);
        var acks = reqs.Select(_ => (AckPdu)c.Receive()).ToList();
        Assert.Equal(reqs.Select(r => r.RequestId).Order(), acks.Select(a => a.RequestId).Order());
        Assert.All(acks, a => Assert.Equal(AckCode.Success, a.Code));
    }

    [Fact]
    public async Task An_unknown_request_code_is_answered_unknown_request()
    {
        await using var f = new DaemonFixture();
        using var c = f.Connect();
        var ack = c.Call(Req(f, (RequestCode)200, Guid.NewGuid()));
        Assert.Equal(AckCode.UnknownRequest, ack.Code);
        Assert.Empty(f.Hypervisor.Executed);
    }

    [Fact]
    public async Task Unsupported_by_the_hypervisor_is_unsupported()
    {
        await using var f = new DaemonFixture();
        var vm = f.Hypervisor.Define("a");
        using var c = f.Connect();
        var ack = c.Call(Req(f, RequestCode.Migrate, vm, new AttrList().Add(AttrType.DestUri, "qemu+tcp://b/system")));
        Assert.Equal(AckCode.Unsupported, ack.Code);
        Assert.Contains(ack.Results, r => r.Type == AttrType.ErrorCode && r.Number == 3);
    }

    [Fact]
    public async Task An_unreachable_hypervisor_fails_requests_with_a_message_saying_so()
    {
        await using var f = new DaemonFixture();
        var vm = f.Hypervisor.Define("a");
        f.Hypervisor.SetReachable(false);
        using var c = f.Connect();
        var req = Req(f, RequestCode.Start, vm);
        var ack = c.Call(req);
        Assert.Equal(AckCode.Failure, ack.Code);
        Assert.Contains("unreachable", Message(ack));
        // Not cached: once the hypervisor is back, the same id acts.
        f.Hypervisor.SetReachable(true);
        Assert.Equal(AckCode.Success, c.Call(req).Code);
    }

    [Fact]
    public async Task A_bad_tag_ends_that_connection_with_an_error_and_leaves_others_alone()
    {
        await using var f = new DaemonFixture();
        var vm = f.Hypervisor.Define("a");
        using var good = f.Connect();
        using var bad = f.Connect();
        var bytes = PduCodec.ToBytes(Req(f, RequestCode.Start, vm), DaemonFixture.Key);
        bytes[^1] ^= 1;
        bad.SendRaw(bytes);
        var error = Assert.IsType<ErrorPdu>(bad.Receive());
        Assert.Equal(ProtocolErrorCode.BadTag, error.Code);
        Assert.Null(bad.ReceiveOrClose());
        Assert.Empty(f.Hypervisor.Executed);
        Assert.Equal(AckCode.Success, good.Call(Req(f, RequestCode.Start, vm)).Code);
        Assert.Equal(1, f.Daemon.Server.Counters.StreamErrors);
        // The counts reach the operator through the STATUS line systemd shows (and the last log line).
        Assert.EndsWith(", 1 requests, 1 stream errors", f.Daemon.Status());
    }

    [Theory]
    [InlineData("unsigned", ProtocolErrorCode.Unsigned)]
    [InlineData("wrong-key", ProtocolErrorCode.WrongKey)]
    [InlineData("not-a-request", ProtocolErrorCode.UnexpectedType)]
    [InlineData("bad-magic", ProtocolErrorCode.BadMagic)]
    public async Task Stream_errors_are_answered_with_error_and_close(string kind, ProtocolErrorCode expected)
    {
        await using var f = new DaemonFixture();
        using var c = f.Connect();
        var req = Req(f, RequestCode.Ping, Guid.Empty);
        byte[] bytes = kind switch
        {
            "unsigned" => PduCodec.ToBytes(req),
            "wrong-key" => PduCodec.ToBytes(req, new ClusterKey(new byte[32])),
            "not-a-request" => PduCodec.ToBytes(new AckPdu { RequestId = 1 }, DaemonFixture.Key),
            _ => [0x47, 0x45, 0x54, 0x20, 0x2F, 0x20, 0x48, 0x54, 0x54, 0x50, 0x0D, 0x0A],
        };
        c.SendRaw(bytes);
        var error = Assert.IsType<ErrorPdu>(c.Receive());
        Assert.Equal(expected, error.Code);
        Assert.Null(c.ReceiveOrClose());
    }

    [Fact]
    public async Task A_rotated_key_is_accepted_at_once_and_the_old_one_only_while_held_as_second()
    {
        await using var f = new DaemonFixture();
        var next = ClusterKey.Generate();
        f.Daemon.Keys.Replace(next, DaemonFixture.Key);   // a reload while rotating: both accepted, the new one signs
        // The ACK is checked with the new key only: the host signs with the key it signs with now.
        using (var c = new HostdClient(f.Daemon.RequestEndPoint, DaemonFixture.Key, verify: next))
            Assert.Equal(AckCode.Success, c.Call(new RequestPdu { RequestId = 11, Code = RequestCode.Ping }).Code);
        f.Daemon.Keys.Replace(next, null);                // the old key removed
        using (var c = new HostdClient(f.Daemon.RequestEndPoint, DaemonFixture.Key, verify: next))
        {
            c.Send(new RequestPdu { RequestId = 12, Code = RequestCode.Ping });
            var error = Assert.IsType<ErrorPdu>(c.Receive());
            Assert.True(error.Code is ProtocolErrorCode.WrongKey or ProtocolErrorCode.BadTag, error.Code.Name());
        }
        using (var c = new HostdClient(f.Daemon.RequestEndPoint, next))
            Assert.Equal(AckCode.Success, c.Call(new RequestPdu { RequestId = 13, Code = RequestCode.Ping }).Code);
    }

    [Fact]
    public async Task A_malformed_body_is_answered_with_failure_and_the_connection_lives()
    {
        await using var f = new DaemonFixture();
        using var c = f.Connect();
        // A REQUEST whose reserved flag bits are set: authentic, well framed, a PDU error.
        var bytes = PduCodec.ToBytes(Req(f, RequestCode.Ping, Guid.Empty, id: 0x1234), DaemonFixture.Key);
        bytes[10 + 17] = 0x80;
        DaemonFixture.Key.Sign(bytes);
        c.SendRaw(bytes);
        var ack = (AckPdu)c.Receive();
        Assert.Equal((0x1234UL, AckCode.Failure), (ack.RequestId, ack.Code));
        Assert.Equal(AckCode.Success, c.Call(new RequestPdu { RequestId = 9, Code = RequestCode.Ping }).Code);
    }

    [Fact]
    public async Task An_unknown_critical_attribute_is_unsupported()
    {
        await using var f = new DaemonFixture();
        using var c = f.Connect();
        var p = new AttrList().Add(new Attr { Type = (AttrType)0x7E, Critical = true, Opaque = new Blob([1]) });
        var ack = c.Call(Req(f, RequestCode.Start, Guid.NewGuid(), p));
        Assert.Equal(AckCode.Unsupported, ack.Code);
        Assert.Empty(f.Hypervisor.Executed);
    }

    [Fact]
    public async Task A_ping_with_a_critical_attribute_foreign_to_it_is_unsupported()
    {
        await using var f = new DaemonFixture();
        using var c = f.Connect();
        var p = new AttrList().Add(new Attr { Type = AttrType.Cpus, Critical = true, Number = 4 });
        var ack = c.Call(new RequestPdu { RequestId = 11, Code = RequestCode.Ping, Parameters = p });
        Assert.Equal(AckCode.Unsupported, ack.Code);
        Assert.Contains("cpus", Message(ack));
        Assert.Equal(AckCode.Success, c.Call(new RequestPdu { RequestId = 12, Code = RequestCode.Ping }).Code);
    }

    [Theory]
    [InlineData(RequestCode.Pause, "dest-uri")]
    [InlineData(RequestCode.Start, "disk-spec")]
    [InlineData(RequestCode.Add, "network-in-disk-spec")]
    [InlineData(RequestCode.Migrate, "count")]
    public async Task A_critical_attribute_foreign_to_the_code_is_unsupported_and_nothing_is_done(RequestCode code, string what)
    {
        await using var f = new DaemonFixture();
        var vm = f.Hypervisor.Define("a");
        using var c = f.Connect();
        var p = new AttrList();
        switch (what)
        {
            case "dest-uri": p.Add(new Attr { Type = AttrType.DestUri, Critical = true, Text = "x" }); break;
            case "count": p.Add(AttrType.DestUri, "qemu+tcp://b/system").Add(new Attr { Type = AttrType.Count, Critical = true, Number = 2 }); break;
            case "disk-spec":
                p.Add(new Attr { Type = AttrType.DiskSpec, Critical = true, Nested = new AttrList().Add(AttrType.Size, 1UL << 20) });
                break;
            case "network-in-disk-spec":
                p.Add(AttrType.Name, "web1").Add(new Attr
                {
                    Type = AttrType.DiskSpec,
                    Nested = new AttrList().Add(AttrType.Size, 1UL << 20).Add(new Attr { Type = AttrType.Network, Critical = true, Text = "default" }),
                });
                break;
        }
        var ack = c.Call(Req(f, code, code == RequestCode.Add ? Guid.Empty : vm, p));
        Assert.Equal(AckCode.Unsupported, ack.Code);
        Assert.Empty(f.Hypervisor.Executed);
        Assert.Equal(PowerState.Off, f.Hypervisor.Get(vm)!.Power);
    }

    [Fact]
    public async Task Requests_beyond_the_connection_bound_are_busy()
    {
        await using var f = new DaemonFixture(maxInFlight: 2);
        var vms = Enumerable.Range(0, 3).Select(i => f.Hypervisor.Define("v" + i)).ToArray();
        f.Hypervisor.BlockCode = RequestCode.Stop;
        f.Hypervisor.Gate.Reset();
        using var c = f.Connect();
        c.Send(Req(f, RequestCode.Stop, vms[0]));
        c.Send(Req(f, RequestCode.Stop, vms[1]));
        SpinWait.SpinUntil(() => f.Hypervisor.Executed.Count == 2, TimeSpan.FromSeconds(20));
        var third = c.Call(Req(f, RequestCode.Stop, vms[2]));
        Assert.Equal(AckCode.Busy, third.Code);
        f.Hypervisor.Gate.Set();
    }

    [Fact]
    public async Task Connections_beyond_the_global_bound_are_closed()
    {
        await using var f = new DaemonFixture(maxConnections: 1);
        using var first = f.Connect();
        Assert.Equal(AckCode.Success, first.Call(new RequestPdu { RequestId = 1, Code = RequestCode.Ping }).Code);
        using var second = f.Connect();
        second.Send(new RequestPdu { RequestId = 2, Code = RequestCode.Ping });
        Assert.Null(second.ReceiveOrClose());
        Assert.Equal(AckCode.Success, first.Call(new RequestPdu { RequestId = 3, Code = RequestCode.Ping }).Code);
    }
}
