using System.Text.Json;

namespace Vmm.Ctl.Tests;

/// <summary>vmmctl host drain and undrain against a fake controller: the QUERY sent, the progress lines, the exit code.</summary>
public sealed class DrainCommandTests : IDisposable
{
    private const string U1 = "0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20";
    private const string U2 = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
    private const string Host = "host name=hv-01 boot=0x8c1f2e3d4c5b6a79 seq=50 state=up vm-count=2 draining=1";
    private const string Moving = $"vm host=hv-01 vm={{uuid={U1} name=web-01 power=running vcpus=2 memory=2097152}} dest-host=hv-02 age-ms=1 drain-outcome=moving";
    private const string Moved = $"vm host=hv-02 vm={{uuid={U1} name=web-01 power=running reason=migrated vcpus=2 memory=2097152}} duration-us=2300000 " +
        "dest-host=hv-02 age-ms=1 last-ack=success last-code=migrate drain-outcome=moved";
    private const string Off = $"vm host=hv-01 vm={{uuid={U2} name=batch-1 power=off vcpus=1 memory=1048576}} " +
        "message=\"batch-1 not moved: it is off, and only a running VM moves live; it stays defined on its host\" age-ms=1 drain-outcome=not-running";
    private const string NoRoom = $"vm host=hv-01 vm={{uuid={U2} name=db-01 power=running vcpus=4 memory=8388608}} " +
        "message=\"db-01 not moved: no host has room for 4 vCPUs and 8 GiB\" age-ms=1 drain-outcome=no-room";

    private readonly FakeController _controller = new();

    public void Dispose() => _controller.Dispose();

    private Vmmctl.Result Run(params string[] args) => Vmmctl.Run([.. args, "--socket", _controller.SocketPath]);

    [Fact]
    public void Drain_sends_a_drain_query_and_prints_a_line_for_each_step_then_the_summary()
    {
        _controller.Answer = _ => [Host, Moving, Moved, Off,
            "result code=success message=\"host hv-01 drained in 2.4 s: 1 moved, 1 not running (stay)\" host=hv-01"];
        var r = Run("host", "drain", "hv-01", "--parallel", "3");
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(["query what=drain host=hv-01 parallel=3"], _controller.ReceivedText);
        Assert.Equal([
            "host hv-01: marked draining; 2 VMs",
            "moving web-01 to hv-02",
            "moved web-01 to hv-02 in 2.3 s",
            "not moved (not-running): batch-1 not moved: it is off, and only a running VM moves live; it stays defined on its host",
            "host hv-01 drained in 2.4 s: 1 moved, 1 not running (stay)",
        ], r.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_drain_that_left_VMs_for_want_of_room_exits_8_and_says_why_on_stderr()
    {
        _controller.Answer = _ => [Host, NoRoom,
            "result code=unavailable message=\"host hv-01 not drained (0.1 s): 0 moved, 1 still running here (1 no room); it stays marked draining\" host=hv-01"];
        var r = Run("host", "drain", "hv-01");
        Assert.Equal(8, r.Exit);
        Assert.Equal(["query what=drain host=hv-01"], _controller.ReceivedText);
        Assert.Contains("not moved (no-room): db-01 not moved: no host has room", r.Text);
        Assert.StartsWith("vmmctl: host drain hv-01: unavailable: host hv-01 not drained", r.Stderr);
    }

    [Fact]
    public void Drain_json_is_one_document_with_each_VMs_outcome_and_the_result()
    {
        _controller.Answer = _ => [Host, Moving, Moved, NoRoom, "result code=unavailable message=\"1 moved, 1 still running here (1 no room)\" host=hv-01"];
        var r = Run("host", "drain", "hv-01", "--json");
        Assert.Equal(8, r.Exit);
        using var doc = JsonDocument.Parse(r.Text);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("host").GetProperty("draining").GetBoolean());
        var vms = root.GetProperty("vms").EnumerateArray().ToList();
        Assert.Equal(["moved", "no-room"], vms.Select(v => v.GetProperty("outcome").GetString()));
        Assert.Equal(("hv-02", 2300UL), (vms[0].GetProperty("host").GetString(), vms[0].GetProperty("duration-ms").GetUInt64()));
        Assert.Contains("no host has room", vms[1].GetProperty("message").GetString());
        Assert.Equal("unavailable", root.GetProperty("result").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    [InlineData("two")]
    public void A_parallel_outside_1_to_64_is_a_usage_error_and_nothing_is_sent(string parallel)
    {
        var r = Run("host", "drain", "hv-01", "--parallel", parallel);
        Assert.Equal(2, r.Exit);
        Assert.Contains("--parallel", r.Stderr);
        Assert.Empty(_controller.ReceivedText);
    }

    [Fact]
    public void Undrain_sends_an_undrain_query_and_says_so()
    {
        var r = Run("host", "undrain", "hv-01");
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(["query what=undrain host=hv-01"], _controller.ReceivedText);
        Assert.Equal("host hv-01: draining mark cleared", r.Text.Trim());
    }

    [Fact]
    public void Host_list_shows_the_draining_mark_in_the_table_and_the_json()
    {
        _controller.Answer = _ => [Host, AdminQueryTests.Hv02, "result code=success"];
        var table = Run("host", "list").Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^hv-01 +up +yes ", table[1]);
        Assert.Matches(@"^hv-02 +down +- ", table[2]);
        using var doc = JsonDocument.Parse(Run("host", "list", "--json").Text);
        var hosts = doc.RootElement.GetProperty("hosts").EnumerateArray().ToList();
        Assert.Equal([true, false], hosts.Select(h => h.GetProperty("draining").GetBoolean()));
    }
}
