// A host whose report fits one datagram, behind a link that loses 4 datagrams of every 5 (spec §6.5, liveness
// datagrams): with hostd's default min-datagrams-per-interval it stays up at the controller; with 1 (the report
// alone, as before) the same loss takes it down. The second host shows that the loss is real, not that the
// first is lucky.
using System.Net;

namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]
public sealed class LossTests
{
    private const int Period = 5;   // 1 datagram of 5 arrives: 5 intervals of silence for a host that sends 1 an interval
    private const int Intervals = 40;

    [Fact]
    public async Task A_one_page_host_stays_up_when_4_of_every_5_datagrams_are_lost()
    {
        await using var c = new Cluster();
        c.StartController();
        var controller = new IPEndPoint(IPAddress.Loopback, c.UdpPort);
        using var toSteady = new LossyRelay(controller, Period);
        using var toFlapping = new LossyRelay(controller, Period);
        c.StartHost("steady", sendTo: toSteady.Port);
        c.StartHost("flapping", 0, toFlapping.Port, "--min-datagrams-per-interval", "1");
        c.Eventually(() => c.Host("steady")?.GetProperty("state").GetString() == "up"
            && c.Host("flapping") is not null, "both hosts are heard through their relays");

        var seen = new HashSet<string>();
        var until = DateTime.UtcNow + Intervals * TimeSpan.FromMilliseconds(200);   // Cluster.Heartbeat
        while (DateTime.UtcNow < until)
        {
            seen.Add(c.Host("steady")!.Value.GetProperty("state").GetString()!);
            Thread.Sleep(50);
        }

        string log = c.Log("controller");
        Assert.True(toSteady.Dropped >= 4 * toSteady.Forwarded - Period, $"the relay lost {toSteady.Dropped} of {toSteady.Dropped + toSteady.Forwarded}");
        Assert.Equal(["up"], seen);
        Assert.DoesNotContain("host steady is down", log);
        Assert.True(log.Contains("host flapping is down", StringComparison.Ordinal),
            $"the same loss did not take down the host that sends 1 datagram an interval: the relay is not losing\n{c.Logs()}");
    }
}
