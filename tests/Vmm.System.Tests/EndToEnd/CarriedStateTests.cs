// Read-your-writes that does not wait on UDP (issue 14; spec §7.2, §7.4), through vmmctl against the AOT binaries:
// tests/tools/udp-lost.sh drops, with iptables in private namespaces, every datagram hostd sends to the controller
// once the host is up, then pauses and resumes a VM. The controller can only know what each request did from the
// state its ACK carried: `vm show` right after each must show it. (Without that state the controller would wait two
// heartbeat intervals, 20 s here, and then still show the VM as it was.) Needs root (unshare, iptables), as CI runs;
// `make test` installs iptables.
using System.Text.RegularExpressions;

namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]
[Trait("Needs", "root")]
public sealed partial class CarriedStateTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(1);

    [Fact]
    public void With_every_datagram_lost_a_success_is_shown_at_once_from_the_state_its_ack_carried()
    {
        string output = NamespacedScript.Run("udp-lost.sh", Deadline);
        var m = Figures().Match(output);
        Assert.True(m.Success, $"udp-lost.sh printed no figures\n{output}");
        Assert.True(m.Groups["pause"].Value == "0" && m.Groups["resume"].Value == "0", $"a request failed\n{output}");
        Assert.True(m.Groups["shown1"].Value == "paused", $"after the pause the controller showed {m.Groups["shown1"].Value}\n{output}");
        Assert.True(m.Groups["shown2"].Value == "running", $"after the resume the controller showed {m.Groups["shown2"].Value}\n{output}");
        Assert.True(int.Parse(m.Groups["dropped"].Value) >= 2, $"iptables dropped no event datagram: the test proves nothing\n{output}");
    }

    [GeneratedRegex(@"pause=(?<pause>\d+) show=(?<shown1>\w*) resume=(?<resume>\d+) show=(?<shown2>\w*) ms=\d+ dropped=(?<dropped>\d+)")]
    private static partial Regex Figures();
}
