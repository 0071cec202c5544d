// Destructive and repeated operations through vmmctl, against the AOT binaries and libvirt's test driver:
// remove of a running VM needs --force; a request that changes nothing succeeds with changed false; and a
// request sent again by its id (--request-id) is carried out at most once, however often it is sent.
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]   // real processes and ports: one system test at a time
public sealed class RepeatTests
{
    private static string Power(JsonElement vm) => vm.GetProperty("power").GetString()!;

    private static async Task<Cluster> WithVm(string name, bool start, params string[] controllerFlags)
    {
        var c = new Cluster();
        c.StartController(controllerFlags);
        c.StartHost("hv1");
        c.Eventually(() => c.Host("hv1")?.GetProperty("state").GetString() == "up", "hv1 is up");
        var created = c.Ctl("vm", "create", "--name", name, "--vcpus", "1", "--max-vcpus", "4", "--memory", "128M");
        Assert.True(created.Code == 0, created.Err + c.Logs());
        if (start) Assert.Equal(0, c.Ctl("vm", "start", name).Code);
        c.Eventually(() => c.Vm(name) is { } v && Power(v) == (start ? "running" : "off"), $"{name} is {(start ? "running" : "off")}");
        await Task.Yield();
        return c;
    }

    [Theory]
    [InlineData("remove")]
    [InlineData("delete")]
    public async Task Remove_of_a_running_vm_is_refused_without_force_and_done_with_it(string verb)
    {
        await using var c = await WithVm("web1", start: true);
        var refused = c.Ctl("vm", verb, "web1");
        Assert.Equal(1, refused.Code);
        Assert.Contains($"web1 is running: {verb} needs force (vmmctl vm {verb} --force), which powers it off first", refused.Err);
        Assert.Single(refused.Err.Trim().Split('\n'));
        Assert.Equal("running", Power(c.Vm("web1")!.Value));

        var forced = c.Ctl("vm", verb, "web1", "--force");
        Assert.True(forced.Code == 0, forced.Err);
        Assert.Matches($"^{verb}d web1 on hv1 \\(request [0-9a-f]{{8}}:[0-9]+\\)\n$", forced.Out);
        c.Eventually(() => c.Vm("web1") is null, "web1 is gone");
    }

    [Fact]
    public async Task A_request_that_changes_nothing_succeeds_saying_so()
    {
        await using var c = await WithVm("web1", start: true);
        var start = c.Ctl("vm", "start", "web1");
        Assert.True(start.Code == 0, start.Err);
        Assert.StartsWith("web1 is already running (nothing to do) (request ", start.Out);
        Assert.False(c.Json("vm", "start", "web1").GetProperty("changed").GetBoolean());
        Assert.False(c.Json("vm", "resume", "web1").GetProperty("changed").GetBoolean());

        Assert.True(c.Json("vm", "pause", "web1").GetProperty("changed").GetBoolean());
        c.Eventually(() => Power(c.Vm("web1")!.Value) == "paused", "web1 is paused");
        var pause = c.Json("vm", "pause", "web1");
        Assert.False(pause.GetProperty("changed").GetBoolean());
        Assert.Equal("web1 is already paused", pause.GetProperty("message").GetString());

        Assert.True(c.Json("vm", "stop", "web1", "--force").GetProperty("changed").GetBoolean());
        c.Eventually(() => Power(c.Vm("web1")!.Value) == "off", "web1 is off");
        var stop = c.Ctl("vm", "stop", "web1");
        Assert.Equal((0, ""), (stop.Code, stop.Err));
        Assert.StartsWith("web1 is already off (nothing to do)", stop.Out);
        Assert.Equal("off", Power(c.Vm("web1")!.Value));
    }

    [Fact]
    public async Task A_request_sent_again_by_its_id_gets_its_first_answer_and_is_done_once()
    {
        await using var c = await WithVm("web1", start: true);
        var first = c.Json("vm", "cpu", "add", "web1");
        string id = first.GetProperty("request-id").GetString()!;
        Assert.False(first.GetProperty("replayed").GetBoolean());
        c.Eventually(() => c.Vm("web1")?.GetProperty("vcpus").GetInt32() == 2, "2 vCPUs");

        var again = c.Ctl("vm", "cpu", "add", "web1", "--request-id", id);
        Assert.True(again.Code == 0, again.Err);
        Assert.Matches("^brought online 1 vCPU\\(s\\) of web1 on hv1 \\(request [0-9a-f]{8}:[0-9]+, answered again: done once\\)\n$", again.Out);
        var json = c.Json("vm", "cpu", "add", "web1", "--request-id", id);
        Assert.Equal((id, true), (json.GetProperty("request-id").GetString(), json.GetProperty("replayed").GetBoolean()));
        // The VM got one vCPU, not three: the host's next reports say so.
        var seen = c.Host("hv1")!.Value.GetProperty("accepted").GetInt64();
        c.Eventually(() => c.Host("hv1")!.Value.GetProperty("accepted").GetInt64() > seen + 5, "more reports from hv1");
        Assert.Equal(2, c.Vm("web1")!.Value.GetProperty("vcpus").GetInt32());

        // Another request under that id is refused; an id this controller never sent is not found.
        var other = c.Ctl("vm", "start", "web1", "--request-id", id);
        Assert.Equal(1, other.Code);
        Assert.Contains("was add-cpu of web1: not start", other.Err);
        var unknown = c.Ctl("vm", "cpu", "add", "web1", "--request-id", "00000001:1");
        Assert.Equal(7, unknown.Code);
        Assert.Contains("no request 00000001:1 among this controller's", unknown.Err);
    }

    [Fact]
    public async Task A_timed_out_request_sent_again_by_its_id_is_carried_out_once()
    {
        await using var c = await WithVm("web1", start: true, "--request-timeout", "2s");
        c.FreezeHost("hv1", frozen: true);
        (int Code, string Out, string Err) timedOut;
        try
        {
            timedOut = c.Ctl("vm", "cpu", "add", "web1");
        }
        finally
        {
            c.FreezeHost("hv1", frozen: false);
        }
        Assert.True(timedOut.Code == 6, timedOut.Err);   // timeout: the outcome is unknown
        var id = Regex.Match(timedOut.Err, @"request ([0-9a-f]{8}:[0-9]+)\]").Groups[1].Value;
        Assert.NotEqual("", id);
        c.Eventually(() => c.Host("hv1")?.GetProperty("state").GetString() == "up", "hv1 is up again");

        // Whether or not the frozen host had read it, the request is carried out once: by the host as it thawed
        // (the resend gets its first answer from hostd's request-id cache), or now.
        var again = c.Json("vm", "cpu", "add", "web1", "--request-id", id);
        Assert.Equal("success", again.GetProperty("code").GetString());
        var twice = c.Json("vm", "cpu", "add", "web1", "--request-id", id);
        Assert.True(twice.GetProperty("replayed").GetBoolean());
        var seen = c.Host("hv1")!.Value.GetProperty("accepted").GetInt64();
        c.Eventually(() => c.Host("hv1")!.Value.GetProperty("accepted").GetInt64() > seen + 5, "more reports from hv1");
        Assert.Equal(2, c.Vm("web1")!.Value.GetProperty("vcpus").GetInt32());
    }

    [Fact]
    public async Task A_timed_out_request_sent_again_after_its_host_restarted_is_a_timeout_saying_so()
    {
        await using var c = await WithVm("web1", start: true, "--request-timeout", "2s");
        c.FreezeHost("hv1", frozen: true);
        var timedOut = c.Ctl("vm", "cpu", "add", "web1");
        c.StopHost("hv1", kill: true);
        Assert.True(timedOut.Code == 6, timedOut.Err);
        var id = Regex.Match(timedOut.Err, @"request ([0-9a-f]{8}:[0-9]+)\]").Groups[1].Value;
        c.StartHost("hv1");
        c.Eventually(() => c.Host("hv1")?.GetProperty("state").GetString() == "up", "hv1 is up again, a new boot");

        var again = c.Ctl("vm", "cpu", "add", "web1", "--request-id", id);
        Assert.Equal(6, again.Code);
        Assert.Contains("hv1 restarted since request", again.Err);
    }
}
