using System.Net;
using NLog;
using NLog.Config;
using NLog.Targets;
using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>Where a host's requests go comes from its datagrams, so a change of its address or request port is
/// logged at warning (rate-limited), and stale datagrams of a known host at warning too (spec §12).</summary>
public sealed class RebindLogTests
{
    private readonly TestClock _clock = new();
    private readonly MemoryTarget _lines = new() { Layout = "${level} ${message}" };
    private readonly FleetInventory _inventory;
    private readonly StateIngest _ingest;

    public RebindLogTests()
    {
        var factory = new LogFactory();
        var config = new LoggingConfiguration(factory);
        config.AddRuleForAllLevels(_lines);
        factory.Configuration = config;
        _inventory = new FleetInventory(new InventoryOptions(), _clock.Func, factory.GetLogger("vmm.inventory"));
        _ingest = new StateIngest(_inventory, new HostKeys(Fleet.Key), factory.GetLogger("vmm.ingest"));
    }

    private List<string> Moves => _lines.Logs.Where(l => l.Contains("moved")).ToList();

    [Fact]
    public void A_new_address_or_port_is_a_warning_at_most_every_ten_seconds()
    {
        var hv = new HostSim("hv-01", Fleet.Key.DeriveHostKey("hv-01"));
        Assert.Equal(DropReason.None, _ingest.Process(hv.CompleteReport([])[0], hv.From));
        Assert.Empty(Moves);   // first heard: learned, not moved

        hv.Address = IPAddress.Parse("192.0.2.99");
        Assert.Equal(DropReason.None, _ingest.Process(hv.CompleteReport([])[0], hv.From));
        var line = Assert.Single(Moves);
        Assert.Equal("Warn host hv-01 moved: address 192.0.2.10 -> 192.0.2.99; its requests now go there", line);

        hv.Facts = new AttrList().Add(AttrType.Port, 9999);
        Assert.Equal(DropReason.None, _ingest.Process(hv.CompleteReport([])[0], hv.From));
        Assert.Single(Moves);  // within 10 s: counted, not logged
        _clock.Advance(TimeSpan.FromSeconds(10));
        hv.Address = IPAddress.Parse("192.0.2.10");
        Assert.Equal(DropReason.None, _ingest.Process(hv.CompleteReport([])[0], hv.From));
        Assert.Equal(2, Moves.Count);
        Assert.Equal("Warn host hv-01 moved: address 192.0.2.99 -> 192.0.2.10; its requests now go there (1 more changes since the last line)", Moves[1]);
    }

    [Fact]
    public void A_stale_datagram_of_a_known_host_is_a_warning_and_a_duplicate_only_debug()
    {
        var hv = new HostSim("hv-01", Fleet.Key.DeriveHostKey("hv-01"));
        var older = hv.Event(Vms.Vm(1));
        var newer = hv.Event(Vms.Vm(1));
        Assert.Equal(DropReason.None, _ingest.Process(newer, hv.From));
        Assert.Equal(DropReason.Duplicate, _ingest.Process(newer, hv.From));
        Assert.Equal(DropReason.Stale, _ingest.Process(older, hv.From));
        Assert.Contains(_lines.Logs, l => l.StartsWith("Warn dropped STATE datagram from host hv-01", StringComparison.Ordinal) && l.Contains("stale"));
        Assert.Contains(_lines.Logs, l => l.StartsWith("Debug dropped STATE datagram", StringComparison.Ordinal) && l.Contains("duplicate"));
    }
}
