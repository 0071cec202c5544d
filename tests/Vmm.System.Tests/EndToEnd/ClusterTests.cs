// The product as an operator drives it: vmmctl -> vmm-controller -> vmm-hostd -> libvirt (test driver),
// and state back over UDP heartbeats. Real processes, the AOT binaries of `make build`.
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]   // real processes and ports: one system test at a time
public sealed class ClusterTests
{
    private static string Power(JsonElement vm) => vm.GetProperty("power").GetString()!;

    [Fact]
    public async Task The_whole_lifecycle_of_a_vm_through_vmmctl()
    {
        await using var c = new Cluster();
        c.StartController();
        c.StartHost("hv1");
        c.Eventually(() => c.Host("hv1")?.GetProperty("state").GetString() == "up", "hv1 is up");

        var created = c.Ctl("vm", "create", "--name", "web1", "--vcpus", "1", "--max-vcpus", "4", "--memory", "256M", "--max-memory", "1G", "--disk", "1G");
        Assert.True(created.Code == 0, created.Err + c.Logs());
        c.Eventually(() => c.Vm("web1") is { } v && Power(v) == "off", "web1 is listed, off");
        var vm = c.Vm("web1")!.Value;
        Assert.Equal("hv1", vm.GetProperty("host").GetString());
        Assert.Equal(256L << 20, vm.GetProperty("memory").GetInt64());
        Assert.Equal(1, vm.GetProperty("disks").GetArrayLength());

        foreach (var (verb, power) in new[] { ("start", "running"), ("pause", "paused"), ("resume", "running") })
        {
            var r = c.Ctl("vm", verb, "web1");
            Assert.True(r.Code == 0, $"{verb}: {r.Err}");
            c.Eventually(() => c.Vm("web1") is { } v && Power(v) == power, $"web1 is {power} after {verb}");
        }

        Assert.Equal(0, c.Ctl("vm", "memory", "set", "web1", "512M").Code);
        c.Eventually(() => c.Vm("web1")?.GetProperty("memory").GetInt64() == 512L << 20, "memory is 512 MiB");
        Assert.Equal(0, c.Ctl("vm", "cpu", "set", "web1", "3").Code);
        c.Eventually(() => c.Vm("web1")?.GetProperty("vcpus").GetInt32() == 3, "3 vCPUs");
        var snap = c.Ctl("vm", "snapshot", "create", "web1", "before");
        Assert.True(snap.Code == 0, snap.Err);
        c.Eventually(() => c.Vm("web1")?.GetProperty("snapshots").GetInt32() == 1, "one snapshot");

        var stop = c.Ctl("vm", "stop", "web1", "--force", "--timeout", "5s");
        Assert.True(stop.Code == 0, stop.Err);
        c.Eventually(() => c.Vm("web1") is { } v && Power(v) == "off", "web1 is off");

        Assert.Equal(0, c.Ctl("vm", "delete", "web1").Code);
        c.Eventually(() => c.Vm("web1") is null, "web1 is gone");

        var missing = c.Ctl("vm", "start", "web1");
        Assert.Equal(7, missing.Code);   // not found
        Assert.Single(missing.Err.Trim().Split('\n'));
    }

    [Fact]
    public async Task Placement_says_clearly_when_no_host_has_room()
    {
        await using var c = new Cluster();
        c.StartController();
        c.StartHost("hv1");
        c.Eventually(() => c.Host("hv1")?.GetProperty("state").GetString() == "up", "hv1 is up");
        var r = c.Ctl("vm", "create", "--name", "huge", "--memory", "64G");
        Assert.Equal(8, r.Code);   // unavailable
        Assert.Contains("no host has room", r.Err);
    }

    [Fact]
    public async Task A_host_that_goes_silent_is_down_with_its_vms_unknown_and_comes_back()
    {
        await using var c = new Cluster();
        c.StartController();
        c.StartHost("hv1");
        c.Eventually(() => c.Host("hv1")?.GetProperty("state").GetString() == "up", "hv1 is up");
        Assert.Equal(0, c.Ctl("vm", "create", "--name", "db1", "--memory", "128M", "--host", "hv1").Code);
        Assert.Equal(0, c.Ctl("vm", "start", "db1").Code);
        c.Eventually(() => c.Vm("db1") is { } v && Power(v) == "running", "db1 running");

        c.StopHost("hv1", kill: true);   // a crash: no stopping datagram
        c.Eventually(() => c.Host("hv1")?.GetProperty("state").GetString() == "down", "hv1 is down");
        c.Eventually(() => c.Vm("db1") is { } v && Power(v) == "unknown", "db1 is unknown, never off");
        Assert.Equal(8, c.Ctl("vm", "pause", "db1").Code);   // unavailable while its host is down

        // The node file keeps nothing of the run: the restarted host reports its VMs afresh, db1 is gone
        // because the new boot's complete report omits it.
        c.StartHost("hv1");
        c.Eventually(() => c.Host("hv1")?.GetProperty("state").GetString() == "up", "hv1 is up again");
        c.Eventually(() => c.Vm("db1") is null, "db1 removed by the new boot's complete report");
    }

    [Fact]
    public async Task A_host_stopped_cleanly_is_shown_stopped_at_once_with_its_vms_unknown()
    {
        await using var c = new Cluster();
        c.StartController();
        c.StartHost("hv1");
        c.Eventually(() => c.Host("hv1")?.GetProperty("state").GetString() == "up", "hv1 is up");
        Assert.Equal(0, c.Ctl("vm", "create", "--name", "app1", "--memory", "128M").Code);
        c.Eventually(() => c.Vm("app1") is not null, "app1 is listed");

        c.StopHost("hv1");   // SIGTERM: hostd's last datagram says stopping
        c.Eventually(() => c.Host("hv1")?.GetProperty("state").GetString() == "stopped", "hv1 is stopped (not down)");
        c.Eventually(() => c.Vm("app1") is { } v && Power(v) == "unknown", "app1 is unknown");
    }

    [Fact]
    public async Task A_restarted_controller_rebuilds_its_inventory_from_heartbeats()
    {
        await using var c = new Cluster();
        c.StartController();
        c.StartHost("hv1");
        c.StartHost("hv2");
        c.Eventually(() => c.Hosts().Count(h => h.GetProperty("state").GetString() == "up") == 2, "two hosts up");
        Assert.Equal(0, c.Ctl("vm", "create", "--name", "a1", "--memory", "128M", "--host", "hv1").Code);
        Assert.Equal(0, c.Ctl("vm", "create", "--name", "b1", "--memory", "128M", "--host", "hv2").Code);
        Assert.Equal(0, c.Ctl("vm", "start", "b1").Code);
        c.Eventually(() => c.Vm("b1") is { } v && Power(v) == "running", "b1 running");

        c.StopController(kill: true);
        c.StartController();
        c.Eventually(() => c.Vm("a1") is { } a && Power(a) == "off" && c.Vm("b1") is { } b && Power(b) == "running",
            "both VMs back with their power state");
        Assert.Equal("hv2", c.Vm("b1")!.Value.GetProperty("host").GetString());
    }

    [Fact]
    public async Task Forged_duplicated_and_stale_datagrams_are_dropped_and_counted()
    {
        await using var c = new Cluster();
        c.StartController();
        var key = c.Key.DeriveHostKey("fake");
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var to = new IPEndPoint(IPAddress.Loopback, c.UdpPort);
        var vm = new VmState { Uuid = Guid.NewGuid(), Name = "ghost", Power = PowerState.Running, Vcpus = 1, MemoryKib = 1024 };
        byte[] Datagram(ulong seq, PowerState power, ClusterKey k) => PduCodec.ToBytes(new StatePdu
        {
            BootId = 77, Sequence = seq, Host = "fake", Vms = [vm with { Power = power }],
        }, k, PduHeader.MaxDatagram);

        udp.SendTo(Datagram(5, PowerState.Running, key), to);
        c.Eventually(() => c.Vm("ghost") is { } v && Power(v) == "running", "the authentic datagram is applied");
        udp.SendTo(Datagram(5, PowerState.Off, key), to);                       // duplicate sequence
        udp.SendTo(Datagram(3, PowerState.Off, key), to);                       // stale
        udp.SendTo(Datagram(9, PowerState.Off, new ClusterKey(new byte[32])), to);   // forged: another key
        var altered = Datagram(10, PowerState.Off, key);
        altered[^20] ^= 1;
        udp.SendTo(altered, to);                                                // altered in flight
        c.Eventually(() => c.Host("fake")?.GetProperty("dropped").GetInt64() >= 2, "two drops counted");
        Assert.Equal("running", Power(c.Vm("ghost")!.Value));
        Assert.Equal(1, c.Host("fake")!.Value.GetProperty("accepted").GetInt64());

        udp.SendTo(Datagram(6, PowerState.Paused, key), to);                    // newer: applied
        c.Eventually(() => c.Vm("ghost") is { } v && Power(v) == "paused", "the newer datagram is applied");
        // The duplicate and the stale one are the host's; the forged and altered ones, which did not
        // authenticate, are charged to no host (anyone can send them under its name and from its address).
        Assert.Equal(2, c.Host("fake")!.Value.GetProperty("dropped").GetInt64());
    }
}

[CollectionDefinition("cluster", DisableParallelization = true)]
public sealed class ClusterCollection;
