using System.Net;
using NLog;
using NLog.Config;
using NLog.Targets;
using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>Dropped datagrams are logged at most once per sender and reason every 10 seconds, the next line
/// saying how many went unlogged in between, so a flood of forgeries cannot flood the log.</summary>
public sealed class DropLogTests
{
    private readonly Fleet _fleet = new();
    private readonly MemoryTarget _lines = new() { Layout = "${level} ${message}" };
    private readonly StateIngest _ingest;

    public DropLogTests()
    {
        var factory = new LogFactory();
        var config = new LoggingConfiguration(factory);
        config.AddRuleForAllLevels(_lines);
        factory.Configuration = config;
        _ingest = new StateIngest(_fleet.Inventory, new HostKeys(Fleet.Key), factory.GetLogger("vmm.ingest"));
    }

    private static byte[] Forged(HostSim host)
    {
        var d = host.Event(Vms.Vm(1));
        d[^1] ^= 1;
        return d;
    }

    private List<string> Drops => _lines.Logs.Where(l => l.Contains("dropped STATE datagram")).ToList();

    [Fact]
    public void One_line_per_reason_every_ten_seconds_counting_the_drops_between()
    {
        var hv = _fleet.Host("hv-01");
        Assert.Equal(DropReason.None, _ingest.Process(hv.Event(), hv.From));
        for (int i = 0; i < 5; i++) Assert.Equal(DropReason.BadTag, _ingest.Process(Forged(hv), hv.From));
        var first = Assert.Single(Drops);
        // Named by its source address only: a forgery from a host's address is not the host's.
        Assert.StartsWith("Warn dropped STATE datagram from 192.0.2.10: bad-tag", first);
        Assert.DoesNotContain("since the last line", first);

        _fleet.Clock.Advance(TimeSpan.FromMilliseconds(DropLog.IntervalMs - 1));
        _ingest.Process(Forged(hv), hv.From);
        Assert.Single(Drops);

        _fleet.Clock.Advance(TimeSpan.FromMilliseconds(1));
        _ingest.Process(Forged(hv), hv.From);
        Assert.Equal(2, Drops.Count);
        Assert.EndsWith("(5 more bad-tag drops since the last line)", Drops[1]);
    }

    [Fact]
    public void Unauthenticated_senders_share_one_line_per_reason_and_do_not_silence_a_host()
    {
        var hv = _fleet.Host("hv-01");
        Assert.Equal(DropReason.None, _ingest.Process(hv.Event(), hv.From));
        var stranger = _fleet.Host("hv-x");
        stranger.Address = IPAddress.Parse("198.51.100.7");
        var other = _fleet.Host("hv-y");
        other.Address = IPAddress.Parse("198.51.100.8");

        _ingest.Process(Forged(stranger), stranger.From);
        _ingest.Process(Forged(other), other.From);
        _ingest.Process(Forged(hv), hv.From);
        var restarted = hv.Restart(); // authentic, but a second boot while the first is alive
        Assert.Equal(DropReason.CompetingBoot, _ingest.Process(restarted.Event(), restarted.From));

        Assert.Equal(2, Drops.Count);
        Assert.Contains("from 198.51.100.7: ", Drops[0]);
        Assert.Contains("from host hv-01 (", Drops[1]);
    }
}
