// A connection to hostd that stalls (issue 14, item 4), through vmmctl against the AOT binaries: tests/tools/hedge-stall.sh
// drops, with iptables in private namespaces, every segment the controller sends on its connection to hostd, then
// times a pause. With hedge-after the request goes out again on a fresh connection and succeeds, carried out once;
// without (hedge-after 0s) the same stall is a timeout, which shows that the stall is real. Needs root (unshare,
// iptables), as CI runs; `make test` installs iptables.
using System.Text.RegularExpressions;

namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]
[Trait("Needs", "root")]
public sealed partial class HedgeStallTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(1);

    [Fact]
    public void A_request_on_a_stalled_connection_is_hedged_on_a_fresh_one_and_carried_out_once()
    {
        var (exit, executed, output) = Run(hedgeAfter: "1s");
        Assert.True(exit == 0, $"the pause on a stalled connection did not succeed\n{output}");
        Assert.True(executed == 2, $"hostd carried out {executed} pauses, not 2 (one before the stall, one after)\n{output}");
    }

    [Fact]
    public void Without_hedging_the_same_stall_is_a_timeout()
    {
        var (exit, executed, output) = Run(hedgeAfter: "0s");
        Assert.True(exit == 6, $"vmmctl exit {exit}, not 6 (timeout)\n{output}");
        Assert.True(executed == 1, $"hostd carried out {executed} pauses, not 1 (the one before the stall)\n{output}");
    }

    private static (int Exit, int Executed, string Output) Run(string hedgeAfter)
    {
        string output = NamespacedScript.Run("hedge-stall.sh", Deadline, hedgeAfter, "4s");
        var m = Figures().Match(output);
        Assert.True(m.Success, $"hedge-stall.sh printed no figures\n{output}");
        return (int.Parse(m.Groups["exit"].Value), int.Parse(m.Groups["executed"].Value), output);
    }

    [GeneratedRegex(@"exit=(?<exit>\d+) ms=\d+ executed=(?<executed>\d+)")]
    private static partial Regex Figures();
}
