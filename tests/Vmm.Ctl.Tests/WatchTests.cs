using System.Collections.Concurrent;
using System.Text.Json;
using Vmm.Protocol.Text;

namespace Vmm.Ctl.Tests;

/// <summary>vmmctl watch against a fake controller that sends changes when the test says so.</summary>
public sealed class WatchTests : IDisposable
{
    private const string Web01Gone = $"vm host=hv-01 vm={{uuid={AdminQueryTests.Web01Uuid} name=web-01 power=unknown flags=tombstone}}";

    private readonly FakeController _controller = new();
    // What the fake sends next on the watch; null ends the watch (the fake closes the connection).
    private readonly BlockingCollection<string?> _changes = [];

    public WatchTests() =>
        _controller.Handler = (_, c) =>
        {
            foreach (var change in _changes.GetConsumingEnumerable())
            {
                if (change is null) return;
                c.Send(FakeController.Parse(change));
            }
        };

    public void Dispose()
    {
        _changes.Add(null);
        _controller.Dispose();
    }

    [Fact]
    public void Watch_prints_each_change_as_it_arrives_and_exits_0_when_the_controller_closes()
    {
        using var watch = Vmmctl.Start("watch", "--socket", _controller.SocketPath);
        Assert.Equal("query what=watch", PduText.Format(_controller.WaitForReceived(1)[0]));

        _changes.Add(AdminQueryTests.Web01);
        var lines = watch.WaitForLines(1);
        Assert.Matches($@"^\d\d:\d\d:\d\dZ vm web-01 \({AdminQueryTests.Web01Uuid}\) on hv-01: running vcpus=2/4 memory=2GiB/4GiB disks=2 nics=1$", lines[0]);

        // The second change is sent only after the first was printed: vmmctl prints as changes come, not at the end.
        _changes.Add(AdminQueryTests.Hv02);
        lines = watch.WaitForLines(2);
        Assert.Matches(@"^\d\d:\d\d:\d\dZ host hv-02: down address=10.0.0.2 vms=- cpus=8 mem=1.5GiB/16GiB boot=-$", lines[1]);

        _changes.Add(Web01Gone);
        lines = watch.WaitForLines(3);
        Assert.Matches($@"^\d\d:\d\d:\d\dZ vm web-01 \({AdminQueryTests.Web01Uuid}\) on hv-01: removed$", lines[2]);

        _changes.Add(null);
        var (exit, stderr) = watch.WaitForExit();
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void Watch_prints_the_controllers_HA_decisions_and_a_fenced_host_as_such()
    {
        using var watch = Vmmctl.Start("watch", "--socket", _controller.SocketPath);
        _controller.WaitForReceived(1);
        _changes.Add("host name=hv-01 state=up host-status=fenced note=\"host hv-01 fenced itself: its lease lapsed\"");
        var lines = watch.WaitForLines(1);
        Assert.Matches(@"^\d\d:\d\d:\d\dZ host hv-01: host hv-01 fenced itself: its lease lapsed$", lines[0]);
        _changes.Add("host name=hv-01 state=up host-status=fenced");
        lines = watch.WaitForLines(2);
        Assert.Matches(@"^\d\d:\d\d:\d\dZ host hv-01: up,fenced ", lines[1]);
        _changes.Add($"vm host=hv-01 vm={{uuid={AdminQueryTests.Web01Uuid} name=web-01 power=unknown flags=persistent,ha}} last-power=running " +
            "note=\"HA: web-01 runs on hv-02, restarted from down host hv-01 7.1 s after it went silent\"");
        lines = watch.WaitForLines(3);
        Assert.EndsWith("vm web-01 (" + AdminQueryTests.Web01Uuid + ") on hv-01: HA: web-01 runs on hv-02, restarted from down host hv-01 7.1 s after it went silent", lines[2]);
    }

    [Fact]
    public void Watch_json_prints_one_object_a_line()
    {
        using var watch = Vmmctl.Start("watch", "--json", "--host", "hv-01", "--socket", _controller.SocketPath);
        Assert.Equal("query what=watch host=hv-01", PduText.Format(_controller.WaitForReceived(1)[0]));
        _changes.Add(AdminQueryTests.Hv01);
        _changes.Add(AdminQueryTests.Web01);
        var lines = watch.WaitForLines(2);
        _changes.Add(null);
        Assert.Equal(0, watch.WaitForExit().Exit);

        using (var host = JsonDocument.Parse(lines[0]))
        {
            var time = host.RootElement.GetProperty("time").GetString()!;
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", time);
            Assert.True(DateTimeOffset.TryParse(time, out _));
            Assert.Equal("hv-01", host.RootElement.GetProperty("host").GetProperty("name").GetString());
            Assert.False(host.RootElement.TryGetProperty("vm", out _));
        }
        using (var vm = JsonDocument.Parse(lines[1]))
        {
            Assert.Equal("web-01", vm.RootElement.GetProperty("vm").GetProperty("name").GetString());
            Assert.Equal(4, vm.RootElement.GetProperty("vm").GetProperty("max-vcpus").GetInt32());
        }
    }

    [Fact]
    public void A_watch_the_controller_refuses_exits_with_the_results_code()
    {
        using var controller = new FakeController { Answer = _ => ["result code=not-found message=\"no host named hv-09\""] };
        var r = Vmmctl.Run("watch", "--host", "hv-09", "--socket", controller.SocketPath);
        Assert.Equal(7, r.Exit);
        PduCommandTests.AssertOneLine(r.Stderr);
        Assert.Contains("no host named hv-09", r.Stderr);
    }
}
