// Per-host keys over real sockets against the AOT binaries (spec §3.3, §12): an attacker holding host hv-a's
// key (a compromised hypervisor) tries to speak for host hv-b in each of the four ways the issue names, and
// each fails without effect. Each would have worked with the single cluster key of version 1.
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]
public sealed class HostKeyTests
{
    private static string Power(JsonElement vm) => vm.GetProperty("power").GetString()!;

    // A cluster of hv-a and hv-b, and a running VM "victim" on hv-b.
    private static async Task<Cluster> TwoHosts(params string[] controllerFlags)
    {
        var c = new Cluster();
        try
        {
            c.StartController(controllerFlags);
            c.StartHost("hv-a");
            c.StartHost("hv-b");
            c.Eventually(() => c.Host("hv-a")?.GetProperty("state").GetString() == "up"
                && c.Host("hv-b")?.GetProperty("state").GetString() == "up", "both hosts are up");
            var created = c.Ctl("vm", "create", "--name", "victim", "--host", "hv-b", "--memory", "128M");
            Assert.True(created.Code == 0, created.Err + c.Logs());
            Assert.Equal(0, c.Ctl("vm", "start", "victim").Code);
            c.Eventually(() => c.Vm("victim") is { } v && Power(v) == "running", "victim runs on hv-b");
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    private static ClusterKey KeyOfA(Cluster c) => KeyFileContents.Load(c.HostKeyPath("hv-a")).Key;

    private static ulong Boot(JsonElement host) => Convert.ToUInt64(host.GetProperty("boot").GetString(), 16);

    [Fact]
    public async Task Host_a_key_cannot_make_the_controller_accept_state_for_host_b()
    {
        await using var c = await TwoHosts();
        var b = c.Host("hv-b")!.Value;
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        // hv-b's live boot, a sequence far ahead, a tombstone for its VM and "stopping": every lie of the issue.
        var victim = Guid.Parse(c.Vm("victim")!.Value.GetProperty("uuid").GetString()!);
        var forged = PduCodec.ToBytes(new StatePdu
        {
            BootId = Boot(b), Sequence = b.GetProperty("sequence").GetUInt64() + 1_000_000, Host = "hv-b",
            Status = HostStatus.Stopping, Vms = [new VmState { Uuid = victim, Name = "victim", Flags = VmFlags.Tombstone }],
        }, KeyOfA(c), PduHeader.MaxDatagram);
        for (int i = 0; i < 3; i++) udp.SendTo(forged, new IPEndPoint(IPAddress.Loopback, c.UdpPort));

        c.Eventually(() => c.Log("controller").Contains("wrong-key", StringComparison.Ordinal), "the controller drops it as wrong-key");
        Assert.Contains("not host hv-b's", c.Log("controller"));
        Assert.Equal("up", c.Host("hv-b")!.Value.GetProperty("state").GetString());
        Assert.Equal("running", Power(c.Vm("victim")!.Value));
    }

    [Fact]
    public async Task Host_a_key_cannot_redirect_host_b_requests()
    {
        await using var c = await TwoHosts();
        using var trap = new TcpListener(IPAddress.Loopback, 0);
        trap.Start();
        var b = c.Host("hv-b")!.Value;
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        // From the attacker's own address, hv-b's name with the trap's port: where hv-b's requests would go.
        var forged = PduCodec.ToBytes(new StatePdu
        {
            BootId = Boot(b), Sequence = b.GetProperty("sequence").GetUInt64() + 1_000_000, Host = "hv-b",
            Facts = new AttrList().Add(AttrType.Port, (ulong)((IPEndPoint)trap.LocalEndpoint).Port),
        }, KeyOfA(c), PduHeader.MaxDatagram);
        udp.SendTo(forged, new IPEndPoint(IPAddress.Loopback, c.UdpPort));
        c.Eventually(() => c.Log("controller").Contains("wrong-key", StringComparison.Ordinal), "the controller drops it as wrong-key");

        var paused = c.Ctl("vm", "pause", "victim");
        Assert.True(paused.Code == 0, paused.Err + c.Logs());
        c.Eventually(() => Power(c.Vm("victim")!.Value) == "paused", "the real hv-b paused victim");
        Assert.False(trap.Pending(), "the controller connected to the attacker's port");
        Assert.DoesNotContain("moved", c.Log("controller"));
    }

    [Fact]
    public async Task Host_a_key_cannot_forge_host_b_acks()
    {
        // The attacker answers in hv-b's place (a pin stands for an intercepted connection): its ACKs, signed with
        // hv-a's key, must not be believed.
        using var impostor = new TcpListener(IPAddress.Loopback, 0);
        impostor.Start();
        await using var c = await TwoHostsPinned(impostor);
        var keyOfA = KeyOfA(c);
        var answering = Task.Run(async () =>
        {
            using var socket = await impostor.AcceptSocketAsync();
            var buffer = new byte[65536];
            int filled = 0;
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(filled));
                if (n == 0) return;
                filled += n;
                if (!PduFraming.TryReadFrame(buffer.AsSpan(0, filled), out _, out int used)) continue;
                var request = (RequestPdu)PduCodec.Decode(buffer.AsSpan(0, used));
                await socket.SendAsync(PduCodec.ToBytes(new AckPdu
                {
                    RequestId = request.RequestId, BootId = request.BootId, Code = AckCode.Success, Vm = request.Vm,
                }, keyOfA));
                buffer.AsSpan(used, filled - used).CopyTo(buffer);
                filled -= used;
            }
        });

        var paused = c.Ctl("vm", "pause", "victim");
        Assert.NotEqual(0, paused.Code);
        Assert.DoesNotContain("paused victim", paused.Out);
        Assert.Contains("wrong-key", c.Log("controller"));
        Assert.Equal("running", Power(c.Vm("victim")!.Value));
        impostor.Stop();
        await Task.WhenAny(answering, Task.Delay(5000));
    }

    private static async Task<Cluster> TwoHostsPinned(TcpListener impostor)
    {
        // hv-b's requests go to the impostor from the start; the VM is made and started through hv-b's own port.
        var pinned = new Cluster();
        try
        {
            pinned.StartController("--hosts", $"hv-b=127.0.0.1:{((IPEndPoint)impostor.LocalEndpoint).Port}", "--request-timeout", "3s");
            pinned.StartHost("hv-a");
            pinned.StartHost("hv-b");
            pinned.Eventually(() => pinned.Host("hv-b")?.GetProperty("state").GetString() == "up", "hv-b is up");
            // A running VM on hv-b, made behind the controller's back (vmmctl pdu to hv-b's own port, signed with its key).
            var b = pinned.Host("hv-b")!.Value;
            var port = b.GetProperty("port").GetInt32();
            var keyOfB = KeyFileContents.Load(pinned.HostKeyPath("hv-b")).Key;
            using (var hostd = new TcpClient())
            {
                hostd.Connect(IPAddress.Loopback, port);
                var stream = hostd.GetStream();
                var add = new RequestPdu
                {
                    RequestId = 1, BootId = Boot(b), Code = RequestCode.Add,
                    Parameters = new AttrList().Add(AttrType.Name, "victim").Add(AttrType.Memory, 131072UL),
                };
                stream.Write(PduCodec.ToBytes(add, keyOfB));
                var ack = ReadAck(stream, keyOfB);
                Assert.Equal(AckCode.Success, ack.Code);
                stream.Write(PduCodec.ToBytes(new RequestPdu { RequestId = 2, BootId = Boot(b), Code = RequestCode.Start, Vm = ack.Vm }, keyOfB));
                Assert.Equal(AckCode.Success, ReadAck(stream, keyOfB).Code);
            }
            pinned.Eventually(() => pinned.Vm("victim") is { } v && Power(v) == "running", "victim runs on hv-b");
            return pinned;
        }
        catch
        {
            await pinned.DisposeAsync();
            throw;
        }
    }

    private static AckPdu ReadAck(NetworkStream stream, ClusterKey key)
    {
        var buffer = new byte[65536];
        int filled = 0;
        while (true)
        {
            if (PduFraming.TryReadFrame(buffer.AsSpan(0, filled), out _, out int used))
                return (AckPdu)PduCodec.Decode(buffer.AsSpan(0, used), key);
            int n = stream.Read(buffer, filled, buffer.Length - filled);
            if (n == 0) throw new IOException("hostd closed the connection");
            filled += n;
        }
    }

    [Fact]
    public async Task No_hostd_but_a_acts_on_a_request_signed_with_a_key()
    {
        await using var c = await TwoHosts();
        var b = c.Host("hv-b")!.Value;
        var victim = Guid.Parse(c.Vm("victim")!.Value.GetProperty("uuid").GetString()!);
        using var hostd = new TcpClient();
        hostd.Connect(IPAddress.Loopback, b.GetProperty("port").GetInt32());
        var stream = hostd.GetStream();
        // Everything right for hv-b (its boot, the VM's uuid) but the key: hv-a's.
        stream.Write(PduCodec.ToBytes(new RequestPdu { RequestId = 0x77, BootId = Boot(b), Code = RequestCode.Pause, Vm = victim }, KeyOfA(c)));
        var buffer = new byte[4096];
        int filled = 0, n;
        while ((n = stream.Read(buffer, filled, buffer.Length - filled)) > 0) filled += n;   // hostd closes after its ERROR
        Assert.True(PduFraming.TryReadFrame(buffer.AsSpan(0, filled), out _, out int used));
        var error = Assert.IsType<ErrorPdu>(PduCodec.Decode(buffer.AsSpan(0, used)));
        Assert.True(error.Code is ProtocolErrorCode.WrongKey or ProtocolErrorCode.BadTag, error.Code.Name());
        // Give a wrongly accepted pause every chance to show, then check it did not happen.
        Assert.Equal(0, c.Ctl("vm", "show", "victim").Code);
        c.Eventually(() => c.Log("hv-b").Contains("wrong-key", StringComparison.OrdinalIgnoreCase) || c.Log("hv-b").Contains("WrongKey", StringComparison.Ordinal),
            "hv-b logs the refused request");
        Assert.Equal("running", Power(c.Vm("victim")!.Value));
    }
}
