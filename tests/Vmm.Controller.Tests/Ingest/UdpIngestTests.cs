using System.Net;
using System.Net.Sockets;
using NLog;
using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>Datagrams over a real UDP socket, IPv4 and IPv6.</summary>
public sealed class UdpIngestTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Receives_and_applies_datagrams_and_stops_when_cancelled(string address)
    {
        var ip = IPAddress.Parse(address);
        if (ip.AddressFamily == AddressFamily.InterNetworkV6 && !Socket.OSSupportsIPv6) return;
        var inventory = new FleetInventory(new InventoryOptions(), log: LogManager.CreateNullLogger());
        using var ingest = new UdpIngest(new IPEndPoint(ip, 0), new HostKeys(Fleet.Key), inventory, LogManager.CreateNullLogger());
        using var stop = new CancellationTokenSource();
        var running = ingest.RunAsync(stop.Token);

        var hv = new HostSim("hv-udp", Fleet.Key.DeriveHostKey("hv-udp"));
        using var sender = new UdpClient(ip.AddressFamily);
        var forged = hv.Event(Vms.Vm(9));
        forged[^1] ^= 1;
        await sender.SendAsync(forged, ingest.LocalEndPoint);
        foreach (var d in hv.CompleteReport([Vms.Vm(1), Vms.Vm(2)], perPage: 1))
            await sender.SendAsync(d, ingest.LocalEndPoint);

        await Eventually.True(() => inventory.Vms().Count() == 2 && inventory.Counters.Dropped(DropReason.BadTag) == 1, "two VMs and one forged datagram counted");
        var host = Assert.Single(inventory.Hosts());
        Assert.Equal(ip, host.Address);
        Assert.Equal(new IPEndPoint(ip, 7401), host.Endpoint);

        stop.Cancel();
        await running.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void A_port_in_use_is_reported_at_construction()
    {
        var inventory = new FleetInventory(new InventoryOptions(), log: LogManager.CreateNullLogger());
        using var first = new UdpIngest(new IPEndPoint(IPAddress.Loopback, 0), new HostKeys(Fleet.Key), inventory, LogManager.CreateNullLogger());
        Assert.Throws<SocketException>(() => new UdpIngest(first.LocalEndPoint, new HostKeys(Fleet.Key), inventory, LogManager.CreateNullLogger()));
    }
}
