// A hostd killed and started again (issue 14, item 3): the controller adopts the new boot as soon as an
// authenticated answer from it proves the restart (spec §6.6), not after down-after intervals of silence, and
// no request that the new boot could do ends in exit 1 "request for boot X, but this hostd runs boot Y".
using System.Diagnostics;

namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]
public sealed class HostRestartTests
{
    // A VM in the test node itself: the test driver defines (and runs) it at every start of hostd.
    private const string Keep = """
        <domain type='test'><name>keep1</name><uuid>6d1f0c84-9a57-4f3e-8d1c-3f0e2a7b9c41</uuid>
          <memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>
        """;

    [Fact]
    public async Task A_hostd_killed_and_restarted_is_adopted_at_once_and_takes_requests_without_a_wrong_boot_failure()
    {
        await using var c = new Cluster();
        // Down after 100 heartbeats (20 s): the silence rule cannot be what lets the new boot in.
        c.StartController(downAfter: 100);
        int port = Cluster.FreeTcpPort();
        c.SetNode("hv1", Keep);
        c.StartHost("hv1", port);
        c.Eventually(() => c.Vm("keep1") is not null, "keep1 is listed");
        string before = c.Host("hv1")!.Value.GetProperty("boot").GetString()!;

        c.StopHost("hv1", kill: true);
        c.StartHost("hv1", port);
        var clock = Stopwatch.StartNew();
        (int Code, string Out, string Err) paused;
        do
        {
            // Exit 8 (unavailable) is the honest answer while the new hostd is not listening yet; never 1 or 7.
            paused = c.Ctl("vm", "pause", "keep1");
            Assert.True(paused.Code is 0 or 8, $"exit {paused.Code}: {paused.Err}\n{c.Log("controller")}");
            if (paused.Code != 0) Thread.Sleep(50);
        }
        while (paused.Code != 0 && clock.Elapsed < TimeSpan.FromSeconds(15));
        Assert.True(paused.Code == 0, $"the new boot is adopted before the silence rule (20 s) could do it: {paused.Err}\n{c.Log("controller")}");

        Assert.NotEqual(before, c.Host("hv1")!.Value.GetProperty("boot").GetString());
        Assert.Contains("at once (hostd restarted)", c.Log("controller"));
        c.Eventually(() => c.Vm("keep1") is { } v && v.GetProperty("power").GetString() == "paused", "keep1 paused, as the new boot reports it");
    }
}
