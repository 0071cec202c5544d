using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

/// <summary>
/// The admin socket's bounds: connections per uid and in all (the last few kept for root), and an idle deadline
/// for a connection with nothing to answer; refusals are logged rate-limited.
/// </summary>
public sealed class AdminBoundsTests
{
    private static readonly AdminQueryPdu Hosts = new() { What = QueryKind.Hosts };

    [Theory]
    [InlineData(1000u, 0, 0, null)]
    [InlineData(1000u, 3, 3, "uid 1000 already has 3 connections")]
    [InlineData(1000u, 8, 0, "kept for root")]
    [InlineData(0u, 8, 0, null)]
    [InlineData(0u, 15, 2, null)]
    [InlineData(0u, 16, 0, "16 clients already connected")]
    public void Root_keeps_the_last_connections_and_every_uid_has_its_bound(uint uid, int open, int ofUid, string? refused)
    {
        var options = new AdminOptions { MaxClients = 16, MaxClientsPerUid = 3 };
        string? why = AdminServer.Refusal(uid, open, ofUid, options);
        if (refused is null) Assert.Null(why);
        else Assert.Contains(refused, why);
    }

    [Fact]
    public async Task Connections_beyond_the_bound_of_a_uid_are_closed_at_once_and_logged_once()
    {
        await using var h = new AdminHarness(admin: new AdminOptions { MaxClientsPerUid = 2, IdleTimeout = TimeSpan.FromMinutes(10) });
        using var first = h.Connect();
        using var second = h.Connect();
        await Eventually.True(() => h.Server.Sessions == 2, "two sessions");

        var refused = Enumerable.Range(0, 10).Select(_ => h.Connect()).ToList();
        foreach (var c in refused)
        {
            // As vmmctl does: the query first (the controller may have closed already), then the answer,
            // which says why, then the end.
            try { c.Send(Hosts); }
            catch (System.Net.Sockets.SocketException) { }
            var result = Assert.IsType<AdminResultPdu>(await c.ReadAsync());
            Assert.Equal(AckCode.Unavailable, result.Code);
            Assert.Contains("max-admin-connections-per-uid", result.Attributes.Text(AttrType.Message));
            // Then the end: closed, or reset when the query was still unread (vmmctl stops at the RESULT).
            try { Assert.Null(await c.ReadAsync()); }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionReset) { }
        }
        Assert.Equal(10, h.Server.Refusals.Refused);
        Assert.Single(h.Log, l => l.Contains("connection refused") && l.Contains("max-admin-connections-per-uid"));

        // Those served are served still, and a slot given back is taken again.
        first.Send(Hosts);
        Assert.Equal(AckCode.Success, (await first.ReplyAsync()).Result.Code);
        second.Dispose();
        await Eventually.True(() => h.Server.Sessions == 1, "the second session to end");
        using var third = h.Connect();
        third.Send(Hosts);
        Assert.Equal(AckCode.Success, (await third.ReplyAsync()).Result.Code);
        foreach (var c in refused) c.Dispose();
    }

    [Fact]
    public async Task A_connection_with_nothing_to_answer_is_closed_after_the_idle_timeout()
    {
        await using var h = new AdminHarness(admin: new AdminOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        using var silent = h.Connect();
        using var half = h.Connect();
        half.SendRaw([0x56, 0x4d, 0x01, 0x10, 0x00]); // half a header, never finished
        using var answered = h.Connect();
        answered.Send(Hosts);
        Assert.Equal(AckCode.Success, (await answered.ReplyAsync()).Result.Code);

        Assert.Null(await silent.ReadAsync());
        Assert.Null(await half.ReadAsync());
        Assert.Null(await answered.ReadAsync()); // idle again after its answer
        Assert.Contains(h.Log, l => l.Contains("admin-idle-timeout"));
        await Eventually.True(() => h.Server.Sessions == 0, "every session to end");
    }

    [Fact]
    public async Task A_watch_is_never_idle()
    {
        await using var h = new AdminHarness(admin: new AdminOptions { IdleTimeout = TimeSpan.FromMilliseconds(100) });
        using var c = h.Connect();
        c.Send(new AdminQueryPdu { What = QueryKind.Watch });
        await Eventually.True(() => h.Fleet.Inventory.Watchers.Count == 1, "the watch to start");
        await Task.Delay(500); // five idle timeouts with no change to send

        var hv = h.Fleet.Host("hv-a");
        h.Fleet.Send(hv, hv.Event(Vms.Vm(1)));
        Assert.IsType<AdminHostPdu>(await c.ReadAsync());
        Assert.IsType<AdminVmPdu>(await c.ReadAsync());
    }
}
