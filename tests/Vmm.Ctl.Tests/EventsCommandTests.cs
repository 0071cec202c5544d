using System.Collections.Concurrent;
using System.Text.Json;
using Vmm.Protocol.Text;

namespace Vmm.Ctl.Tests;

/// <summary>vmmctl events against a fake controller: the QUERY it sends for each option, the table and JSON it
/// prints, and --follow's lines.</summary>
public sealed class EventsCommandTests : IDisposable
{
    private const string Start = "event id=45 time=1796277600200 kind=request uuid=0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20 name=web-01 " +
        "duration-us=182000 host=hv-01 last-ack=success last-code=start request-id=0x5a17c0de00000001 uid=1000";
    private const string Ha = "event id=48 time=1796277609001 kind=decision uuid=0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20 name=web-01 host=hv-02 " +
        "note=\"HA: web-01 runs on hv-02\"";
    private const string Down = "event id=49 time=1796277610000 kind=host host=hv-01 note=\"was up\" host-state=down";

    private readonly FakeController _controller = new();

    public void Dispose() => _controller.Dispose();

    private Vmmctl.Result Run(params string[] args) => Vmmctl.Run([.. args, "--socket", _controller.SocketPath]);

    [Fact]
    public void Every_option_becomes_a_filter()
    {
        _controller.Answer = _ => ["result code=success"];
        var r = Run("events", "--host", "hv-01", "--vm", "web-01", "--since", "10m", "--after", "41");
        Assert.Equal(0, r.Exit);
        Assert.Equal("query what=events host=hv-01 ref=web-01 !since-ms=600000 !after-event=41", _controller.ReceivedText[0]);
    }

    [Theory]
    [InlineData("--since", "10x", "--since '10x' is neither a duration")]
    [InlineData("--after", "last", "--after 'last' is not an event id")]
    [InlineData("--host", "bad host", "host")]
    public void Bad_options_are_one_line_and_exit_2(string option, string value, string message)
    {
        var r = Run("events", option, value);
        Assert.Equal(2, r.Exit);
        Assert.Contains(message, r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Empty(_controller.Received);
    }

    [Fact]
    public void A_time_since_is_sent_as_the_ms_before_now()
    {
        _controller.Answer = _ => ["result code=success"];
        var at = DateTimeOffset.UtcNow.AddHours(-2);
        Assert.Equal(0, Run("events", "--since", at.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture)).Exit);
        var query = (Vmm.Protocol.Pdus.AdminQueryPdu)_controller.Received[0];
        ulong ms = query.Filters.Number(Vmm.Protocol.AttrType.SinceMs)!.Value;
        Assert.InRange(ms, 7_199_000UL, 7_260_000UL);
    }

    [Fact]
    public void The_table_shows_time_kind_host_vm_origin_what_result_and_duration()
    {
        _controller.Answer = _ => [Start, Ha, Down, "result code=success message=\"3 events\""];
        var r = Run("events");
        Assert.True(r.Exit == 0, r.Stderr);
        var lines = r.Text.TrimEnd('\n').Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.Matches(@"^ID\s+TIME\s+KIND\s+HOST\s+VM\s+ORIGIN\s+WHAT\s+RESULT\s+DURATION\s+NOTE$", lines[0]);
        Assert.Matches(@"^45\s+2026-12-03T06:00:00\.200Z\s+request\s+hv-01\s+web-01\s+uid 1000\s+start\s+success\s+182ms\s+-$", lines[1]);
        Assert.Matches(@"^48\s+2026-12-03T06:00:09\.001Z\s+decision\s+hv-02\s+web-01\s+controller\s+-\s+-\s+-\s+HA: web-01 runs on hv-02$", lines[2]);
        Assert.Matches(@"^49\s+.*\s+host\s+hv-01\s+-\s+controller\s+down\s+-\s+-\s+was up$", lines[3]);
    }

    [Fact]
    public void Json_is_one_document_with_every_key()
    {
        _controller.Answer = _ => [Start, Ha, "result code=success"];
        var r = Run("--json", "events");
        Assert.True(r.Exit == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Text);
        var events = doc.RootElement.GetProperty("events");
        Assert.Equal(2, events.GetArrayLength());
        var start = events[0];
        Assert.Equal("45", start.GetProperty("id").GetString());
        Assert.Equal("request", start.GetProperty("kind").GetString());
        Assert.Equal("admin", start.GetProperty("origin").GetString());
        Assert.Equal(1000, start.GetProperty("uid").GetInt32());
        Assert.Equal("start", start.GetProperty("code").GetString());
        Assert.Equal("success", start.GetProperty("result").GetString());
        Assert.Equal(182000, start.GetProperty("duration-us").GetInt64());
        Assert.Equal("controller", events[1].GetProperty("origin").GetString());
        Assert.Equal(JsonValueKind.Null, events[1].GetProperty("uid").ValueKind);
        Assert.Equal("HA: web-01 runs on hv-02", events[1].GetProperty("note").GetString());
    }

    [Fact]
    public void A_refusal_is_one_line_with_its_exit_code()
    {
        _controller.Answer = _ => ["result code=unsupported message=\"query kind 7 is not known to this controller\""];
        var r = Run("events");
        Assert.Equal(3, r.Exit);
        Assert.Contains("query kind 7 is not known", r.Stderr);
    }

    [Fact]
    public void A_controller_that_closes_before_the_RESULT_is_exit_9()
    {
        _controller.Handler = (_, c) => c.Send(FakeController.Parse(Start));
        var r = Run("events");
        Assert.Equal(9, r.Exit);
        Assert.Contains("closed the connection before it answered", r.Stderr);
        Assert.Empty(r.Text);
    }

    [Fact]
    public void Follow_prints_each_event_as_it_comes_and_exits_8_when_dropped()
    {
        var next = new BlockingCollection<string?>();
        _controller.Handler = (_, c) =>
        {
            foreach (var e in next.GetConsumingEnumerable())
            {
                if (e is null) return;
                c.Send(FakeController.Parse(e));
            }
        };
        using var follow = Vmmctl.Start("events", "--follow", "--json", "--socket", _controller.SocketPath);
        Assert.Equal("query what=events !follow=1", PduText.Format(_controller.WaitForReceived(1)[0]));
        next.Add(Start);
        var lines = follow.WaitForLines(1);
        Assert.Equal("45", JsonDocument.Parse(lines[0]).RootElement.GetProperty("id").GetString());
        next.Add(Ha);
        lines = follow.WaitForLines(2);
        Assert.Equal("decision", JsonDocument.Parse(lines[1]).RootElement.GetProperty("kind").GetString());
        next.Add("result code=unavailable message=\"the watch fell 512 KiB of changes behind\"");
        next.Add(null);
        Assert.Equal(8, follow.WaitForExit().Exit);
    }
}
