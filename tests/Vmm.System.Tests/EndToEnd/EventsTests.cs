// The event history through the real binaries (spec §7.7): a request made with vmmctl is in `vmmctl events --json`
// with the uid of the process that sent it, its outcome and duration; and a controller restart loses it all.
using System.Text.Json;

namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]   // real processes and ports: one system test at a time
public sealed class EventsTests
{
    private static uint MyUid() =>
        uint.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);

    private static JsonElement[] Events(Cluster c, params string[] filters) =>
        [.. c.Json(["events", .. filters]).GetProperty("events").EnumerateArray()];

    [Fact]
    public async Task A_request_is_in_the_history_with_its_uid_and_result_until_the_controller_restarts()
    {
        await using var c = new Cluster();
        c.StartController();
        c.StartHost("hv1");
        c.Eventually(() => c.Host("hv1")?.GetProperty("state").GetString() == "up", "hv1 is up");
        var created = c.Ctl("vm", "create", "--name", "web1", "--memory", "256M", "--host", "hv1");
        Assert.True(created.Code == 0, created.Err + c.Logs());
        Assert.Equal(7, c.Ctl("vm", "start", "nosuch").Code);

        var add = Assert.Single(Events(c, "--vm", "web1"), e => e.GetProperty("kind").GetString() == "request");
        Assert.Equal("add", add.GetProperty("code").GetString());
        Assert.Equal("success", add.GetProperty("result").GetString());
        Assert.Equal("admin", add.GetProperty("origin").GetString());
        Assert.Equal(MyUid(), add.GetProperty("uid").GetUInt32());
        Assert.Equal("hv1", add.GetProperty("host").GetString());
        Assert.True(add.GetProperty("duration-us").GetInt64() > 0);
        Assert.NotEqual(JsonValueKind.Null, add.GetProperty("request-id").ValueKind);

        var all = Events(c);
        Assert.Contains(all, e => e.GetProperty("kind").GetString() == "host" && e.GetProperty("host-state").GetString() == "up");
        Assert.Contains(all, e => e.GetProperty("kind").GetString() == "vm" && e.GetProperty("name").GetString() == "web1");
        var refused = Assert.Single(all, e => e.GetProperty("kind").GetString() == "request" && e.GetProperty("result").GetString() == "not-found");
        Assert.Contains("nosuch", refused.GetProperty("message").GetString());

        var table = c.Ctl("events", "--vm", "web1");
        Assert.True(table.Code == 0, table.Err);
        Assert.Matches($@"request\s+hv1\s+web1\s+uid {MyUid()}\s+add\s+success", table.Out);

        // Nothing is on disk: a restarted controller starts with an empty history, rebuilt only from what hosts report.
        c.StopController();
        c.StartController();
        c.Eventually(() => c.Vm("web1") is not null, "web1 is listed again");
        var after = Events(c);
        Assert.DoesNotContain(after, e => e.GetProperty("kind").GetString() == "request");
        Assert.Equal("1", after[0].GetProperty("id").GetString());
    }
}
