using System.Net;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

/// <summary>The events QUERY over the admin socket (spec §7.7): a SUBMIT is in the history with its caller's uid,
/// outcome and duration; filters; follow streams what comes next.</summary>
public sealed class AdminEventsTests
{
    private static async Task<AdminHarness> WithFleet()
    {
        var h = new AdminHarness();
        h.Fleet.PastWarmUp();
        var a = h.Fleet.Host("hv-a");
        a.Address = IPAddress.Parse("192.0.2.1");
        h.Fleet.Send(a, a.CompleteReport([Vms.Vm(1, name: "web-1"), Vms.Vm(2, name: "db-1")]));
        return await Task.FromResult(h);
    }

    /// <summary>This process's real uid, as the kernel gives it to the controller (SO_PEERCRED).</summary>
    private static uint MyUid() =>
        uint.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);

    private static AdminQueryPdu Query(AttrList filters) => new() { What = QueryKind.Events, Filters = filters };

    [Fact]
    public async Task A_submit_is_recorded_with_its_uid_outcome_and_duration()
    {
        await using var h = await WithFleet();
        using var c = h.Connect();
        var result = await c.SubmitAsync(RequestCode.Start, new AttrList().Add(AttrType.Ref, "web-1"));
        Assert.Equal(AckCode.Success, result.Code);
        var refused = await c.SubmitAsync(RequestCode.Start, new AttrList().Add(AttrType.Ref, "nope"));
        Assert.Equal(AckCode.NotFound, refused.Code);

        c.Send(Query(new AttrList().Add(new Attr { Type = AttrType.Follow, Critical = false, Number = 0 })));
        var (items, end) = await c.ReplyAsync();
        Assert.Equal(AckCode.Success, end.Code);
        var requests = items.Cast<AdminEventPdu>().Where(e => e.Kind == EventKind.Request).ToList();
        Assert.Equal(2, requests.Count);
        var start = requests[0];
        Assert.Equal(Vms.Uuid(1), start.Vm);
        Assert.Equal("web-1", start.Attributes.Text(AttrType.Name));
        Assert.Equal("hv-a", start.Attributes.Text(AttrType.Host));
        Assert.Equal((ulong)RequestCode.Start, start.Attributes.Number(AttrType.LastCode));
        Assert.Equal((ulong)AckCode.Success, start.Attributes.Number(AttrType.LastAck));
        Assert.Equal(MyUid(), start.Attributes.Number(AttrType.Uid));
        Assert.NotNull(start.Attributes.Number(AttrType.DurationUs));
        Assert.Equal(result.RequestId, start.Attributes.Number(AttrType.RequestId));
        Assert.Equal((ulong)AckCode.NotFound, requests[1].Attributes.Number(AttrType.LastAck));
        Assert.Contains("nope", requests[1].Attributes.Text(AttrType.Message));
        // The inventory's own events came first: the host up, its VMs.
        Assert.Equal(EventKind.Host, ((AdminEventPdu)items[0]).Kind);
        Assert.Null(((AdminEventPdu)items[0]).Attributes.Number(AttrType.Uid));
    }

    [Fact]
    public async Task Filters_select_by_VM_and_id_even_for_a_host_that_is_gone()
    {
        await using var h = await WithFleet();
        using var c = h.Connect();
        await c.SubmitAsync(RequestCode.Pause, new AttrList().Add(AttrType.Ref, "db-1"));
        c.Send(Query(new AttrList().Add(AttrType.Ref, "db-1")));
        var (items, _) = await c.ReplyAsync();
        Assert.All(items.Cast<AdminEventPdu>(), e => Assert.Equal(Vms.Uuid(2), e.Vm));
        ulong last = items.Cast<AdminEventPdu>().Max(e => e.Id);

        c.Send(Query(new AttrList().Add(new Attr { Type = AttrType.AfterEvent, Critical = true, Number = last })));
        Assert.Empty((await c.ReplyAsync()).Items);

        c.Send(Query(new AttrList().Add(AttrType.Host, "hv-gone")));
        var (none, end) = await c.ReplyAsync();
        Assert.Empty(none);
        Assert.Equal(AckCode.Success, end.Code);
    }

    [Fact]
    public async Task Follow_sends_the_events_held_then_each_new_one()
    {
        await using var h = await WithFleet();
        using var follower = h.Connect();
        follower.Send(Query(new AttrList().Add(AttrType.Ref, "web-1").Add(new Attr { Type = AttrType.Follow, Critical = true, Number = 1 })));
        var first = Assert.IsType<AdminEventPdu>(await follower.ReadAsync());
        Assert.Equal(EventKind.Vm, first.Kind);

        using var c = h.Connect();
        await c.SubmitAsync(RequestCode.Stop, new AttrList().Add(AttrType.Ref, "web-1"));
        var next = Assert.IsType<AdminEventPdu>(await follower.ReadAsync());
        Assert.Equal(EventKind.Request, next.Kind);
        Assert.Equal((ulong)RequestCode.Stop, next.Attributes.Number(AttrType.LastCode));
        Assert.True(next.Id > first.Id);
    }
}
