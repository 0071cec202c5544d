// The AOT vmm-hostd as systemd runs it, on a private copy of the libvirt test node: READY once the first
// state went out, a status naming libvirt, its VMs and controllers, a new controllers list on SIGHUP (the
// next datagram goes to it), and a last datagram saying stopping on SIGTERM.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Vmm.System.Tests.EndToEnd;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.System.Tests.Systemd;

public sealed class HostdSystemdTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmm-systemd-").FullName;

    private string this[string name] => Path.Combine(_dir, name);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static Socket Controller()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 20000 };
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }

    private static int Port(Socket s) => ((IPEndPoint)s.LocalEndPoint!).Port;

    private string Config(Socket controller, string extra = "") =>
        $"libvirt-uri = \"test://{this["node.xml"]}\"\nhost-name = \"h1\"\nlisten = \"127.0.0.1:0\"\n"
        + $"controllers = [\"127.0.0.1:{Port(controller)}\"]\nkey-file = \"{this["k.key"]}\"\nheartbeat-interval = \"200ms\"\n"
        + $"storage-path = \"{this["pool"]}\"\nlease-file = \"{this["lease"]}\"\n{extra}";

    private static StatePdu Receive(Socket controller, ClusterKey key)
    {
        var buffer = new byte[2048];
        int n = controller.Receive(buffer);
        return (StatePdu)PduCodec.Decode(buffer.AsSpan(0, n), key, PduHeader.MaxDatagram);
    }

    private static void Drain(Socket controller)
    {
        var buffer = new byte[2048];
        while (controller.Available > 0) controller.Receive(buffer);
    }

    [Fact]
    public void Ready_after_the_first_state_new_controllers_on_SIGHUP_and_stopping_last_on_SIGTERM()
    {
        File.Copy(Fixture("../EndToEnd/node.xml"), this["node.xml"]);
        var key = ClusterKey.Generate();
        File.WriteAllText(this["k.key"], new KeyFileContents(key, "h1").ToFileText());
        using var first = Controller();
        using var second = Controller();
        File.WriteAllText(this["h.toml"], Config(first));
        using var systemd = new NotifySocket(this["notify"]);
        using var hostd = new DaemonProcess(Cluster.Bin("vmm-hostd"),
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = systemd.Path, ["WATCHDOG_USEC"] = "1000000" },
            "--config", this["h.toml"]);

        var ready = systemd.WaitFor(m => m.StartsWith("READY=1\n", StringComparison.Ordinal), "READY", () => hostd.Log);
        Assert.True(first.Available > 0, "the first state was sent before READY");
        Assert.Matches(@"^READY=1\nSTATUS=libvirt connected, \d+ VMs?, state to 1 controller, ", ready);
        systemd.WaitFor(m => m == "WATCHDOG=1\n", "a watchdog ping", () => hostd.Log);

        // SIGHUP with a new controllers list (and a listen address, which needs a restart).
        File.WriteAllText(this["h.toml"], Config(second, "listen = \"127.0.0.1:1\"\n").Replace("listen = \"127.0.0.1:0\"\n", ""));
        hostd.Signal("HUP");
        systemd.WaitFor(m => m.StartsWith("RELOADING=1\n", StringComparison.Ordinal), "RELOADING", () => hostd.Log);
        systemd.WaitFor(m => m.StartsWith("READY=1\n", StringComparison.Ordinal), "READY after the reload", () => hostd.Log);
        Assert.Contains("needs a restart: listen", hostd.WaitForLine("needs a restart"));
        hostd.WaitForLine($"state now goes to 127.0.0.1:{Port(second)}");
        Assert.Equal("h1", Receive(second, key).Host);
        // From the first datagram the new controller got on, the old one gets none.
        Drain(first);
        for (int i = 0; i < 3; i++) Receive(second, key);
        Assert.Equal(0, first.Available);

        hostd.Signal("TERM");
        systemd.WaitFor(m => m.StartsWith("STOPPING=1\n", StringComparison.Ordinal), "STOPPING", () => hostd.Log);
        Assert.Equal(0, hostd.WaitForExit());
        StatePdu last;
        do last = Receive(second, key);
        while (second.Available > 0);
        Assert.Equal(HostStatus.Stopping, last.Status & HostStatus.Stopping);
    }

    [Fact]
    public void Ready_with_the_reason_when_libvirt_cannot_be_reached()
    {
        File.WriteAllText(this["k.key"], new KeyFileContents(ClusterKey.Generate(), "h1").ToFileText());
        using var controller = Controller();
        // No node file: the test driver refuses to open it, as an absent libvirtd would.
        File.WriteAllText(this["h.toml"], Config(controller));
        using var systemd = new NotifySocket(this["notify"]);
        using var hostd = new DaemonProcess(Cluster.Bin("vmm-hostd"),
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = systemd.Path }, "--config", this["h.toml"]);

        var ready = systemd.WaitFor(m => m.StartsWith("READY=1\n", StringComparison.Ordinal), "READY", () => hostd.Log);
        Assert.StartsWith($"READY=1\nSTATUS=hypervisor unreachable: cannot connect to test://{this["node.xml"]}: ", ready);
        Assert.True(controller.Available > 0, "the controller was told before READY");

        hostd.Signal("TERM");
        Assert.Equal(0, hostd.WaitForExit());
    }

    private static string Fixture(string name, [CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, name);
}
