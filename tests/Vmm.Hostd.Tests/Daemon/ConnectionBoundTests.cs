// hostd's connection bounds under a hostile peer (spec §12, "Resource bounds"), over real loopback sockets:
// idle connections without the key never keep a controller out, a connection has a deadline for its first
// authentic PDU, a peer that never reads its ACKs is held back instead of queued for, and the lines all
// this causes in the log are rate-limited.
using System.Net;
using System.Net.Sockets;
using NLog;
using NLog.Config;
using NLog.Targets;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

public sealed class ConnectionBoundTests
{
    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.1");
    private static readonly IPAddress ControllerAddress = IPAddress.Parse("127.0.0.2");

    private static RequestPdu Ping(ulong id) => new() { RequestId = id, Code = RequestCode.Ping };

    private static Socket Idle(DaemonFixture f, IPAddress from)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(from, 0));
        s.Connect(f.Daemon.RequestEndPoint);
        return s;
    }

    private static (Logger Log, MemoryTarget Lines) CapturedLog()
    {
        var lines = new MemoryTarget { Layout = "${level} ${message}" };
        var factory = new LogFactory();
        var config = new LoggingConfiguration(factory);
        config.AddRuleForAllLevels(lines);
        factory.Configuration = config;
        return (factory.GetLogger("hostd-test"), lines);
    }

    [Fact]
    public async Task Two_thousand_idle_connections_from_one_address_do_not_keep_a_controller_out()
    {
        await using var f = new DaemonFixture(maxConnections: 256, maxPerSource: 16);
        var idle = new List<Socket>();
        try
        {
            for (int i = 0; i < 2000; i++) idle.Add(Idle(f, Attacker));
            using var controller = f.Connect(ControllerAddress);
            Assert.Equal(AckCode.Success, controller.Call(Ping(1)).Code);
            Assert.True(f.Daemon.Server.Connections <= 256, $"{f.Daemon.Server.Connections} connections open");
        }
        finally
        {
            foreach (var s in idle) s.Dispose();
        }
    }

    [Fact]
    public async Task Idle_connections_from_many_addresses_displace_each_other_never_an_authenticated_one()
    {
        await using var f = new DaemonFixture(maxConnections: 8, maxPerSource: 8);
        using var proven = f.Connect(ControllerAddress);
        Assert.Equal(AckCode.Success, proven.Call(Ping(1)).Code);
        var idle = new List<Socket>();
        try
        {
            // Sources 127.0.1.1 ... 127.0.1.40, more connections than the table holds.
            for (int i = 1; i <= 40; i++) idle.Add(Idle(f, IPAddress.Parse($"127.0.1.{i}")));
            SpinWait.SpinUntil(() => Interlocked.Read(ref f.Daemon.Server.Counters.ConnectionsEvicted) >= 33, TimeSpan.FromSeconds(20));
            Assert.Equal(AckCode.Success, proven.Call(Ping(2)).Code);
            // A newcomer gets in too: it takes the place of one of the idle ones.
            using var another = f.Connect(IPAddress.Parse("127.0.0.3"));
            Assert.Equal(AckCode.Success, another.Call(Ping(3)).Code);
            Assert.True(f.Daemon.Server.Connections <= 8);
        }
        finally
        {
            foreach (var s in idle) s.Dispose();
        }
    }

    [Fact]
    public async Task A_source_at_its_bound_with_only_authenticated_connections_is_refused_and_others_are_not()
    {
        await using var f = new DaemonFixture(maxConnections: 64, maxPerSource: 2);
        using var a = f.Connect(Attacker);
        using var b = f.Connect(Attacker);
        Assert.Equal(AckCode.Success, a.Call(Ping(1)).Code);
        Assert.Equal(AckCode.Success, b.Call(Ping(2)).Code);
        using var third = f.Connect(Attacker);
        third.Send(Ping(3));
        Assert.Null(third.ReceiveOrClose());
        Assert.Equal(1, Interlocked.Read(ref f.Daemon.Server.Counters.ConnectionsRefused));
        using var other = f.Connect(ControllerAddress);
        Assert.Equal(AckCode.Success, other.Call(Ping(4)).Code);
    }

    [Fact]
    public async Task A_connection_without_an_authentic_pdu_is_closed_at_the_handshake_timeout_and_an_authenticated_one_may_idle()
    {
        var timeout = TimeSpan.FromMilliseconds(300);
        await using var f = new DaemonFixture(handshakeTimeout: timeout);
        using var proven = f.Connect();
        Assert.Equal(AckCode.Success, proven.Call(Ping(1)).Code);
        using var silent = f.Connect();
        silent.SendRaw(PduCodec.ToBytes(Ping(2), DaemonFixture.Key).AsSpan(0, 12));   // a PDU begun, never finished
        Assert.Null(silent.ReceiveOrClose());
        Assert.Equal(1, Interlocked.Read(ref f.Daemon.Server.Counters.HandshakeTimeouts));
        Thread.Sleep(3 * timeout);
        Assert.Equal(AckCode.Success, proven.Call(Ping(3)).Code);
    }

    [Fact]
    public async Task Refused_connections_are_logged_once_per_source_and_reason_with_a_count()
    {
        var (log, lines) = CapturedLog();
        await using var f = new DaemonFixture(maxConnections: 64, maxPerSource: 1, log: log);
        using var first = f.Connect(Attacker);
        Assert.Equal(AckCode.Success, first.Call(Ping(1)).Code);
        for (int i = 0; i < 50; i++)
        {
            using var refused = f.Connect(Attacker);
            Assert.Null(refused.ReceiveOrClose());
        }
        Assert.Equal(50, Interlocked.Read(ref f.Daemon.Server.Counters.ConnectionsRefused));
        Assert.Single(lines.Logs, l => l.Contains("refused") && l.Contains("127.0.0.1"));
    }

    [Fact]
    public async Task A_peer_that_pipelines_pings_and_never_reads_is_held_back_with_its_acks_bounded()
    {
        const int max = 64 * 1024;
        const int pings = 150_000;
        await using var f = new DaemonFixture(maxQueuedAckBytes: max);
        // A small receive buffer, so that what the peer leaves unread piles up at hostd rather than in the kernel.
        using var greedy = f.Connect(Attacker, receiveBuffer: 16 * 1024);
        var frame = PduCodec.ToBytes(Ping(1), DaemonFixture.Key);
        var batch = new byte[frame.Length * 1000];
        var writing = Task.Run(() =>
        {
            for (int i = 0; i < pings / 1000; i++)
            {
                for (int j = 0; j < 1000; j++)
                {
                    var p = PduCodec.ToBytes(Ping((ulong)(i * 1000 + j + 1)), DaemonFixture.Key);
                    p.CopyTo(batch, j * frame.Length);
                }
                greedy.SendRaw(batch);
            }
        });
        var counters = f.Daemon.Server.Counters;
        Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref counters.ReadPauses) > 0, TimeSpan.FromSeconds(60)), "hostd never stopped reading");

        // Meanwhile hostd serves everyone else.
        using (var controller = f.Connect(ControllerAddress))
            Assert.Equal(AckCode.Success, controller.Call(Ping(1_000_000)).Code);

        // Every ACK arrives once the peer reads, and the queue never held much more than its bound: one read
        // of pipelined requests (the pipe reads 4 KiB at a time) may be answered past it.
        for (int i = 1; i <= pings; i++)
            Assert.Equal((ulong)i, ((AckPdu)greedy.Receive()).RequestId);
        await writing;
        long peak = Interlocked.Read(ref counters.QueuedAckBytesPeak);
        Assert.True(peak <= max + 16 * 1024, $"{peak} ACK bytes queued at the peak");
        Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref counters.QueuedAckBytes) == 0, TimeSpan.FromSeconds(20)));
    }
}
