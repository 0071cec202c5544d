// Exactly once beyond the request-id window (spec §7.6): the cache itself, and the processor that answers from it.
using NLog;
using Vmm.Hostd.Internal;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Tests.Daemon;

public sealed class RequestCacheTests
{
    private static ulong Id(uint origin, uint counter) => ((ulong)origin << 32) | counter;

    private static AckPdu Ack(ulong id) => new() { RequestId = id, Code = AckCode.Success };

    private static void Finish(RequestCache cache, ulong id, ulong digest = 1)
    {
        Assert.Equal(CacheVerdict.New, cache.Begin(id, digest, out _));
        cache.Complete(id, Ack(id));
    }

    [Fact]
    public void A_request_evicted_from_the_window_is_a_replay_and_newer_ones_are_new()
    {
        var cache = new RequestCache(capacity: 2);
        for (uint i = 1; i <= 3; i++) Finish(cache, Id(7, i));

        Assert.Equal(2, cache.Count);
        Assert.Equal(CacheVerdict.Replay, cache.Begin(Id(7, 1), 1, out _));     // evicted
        Assert.Equal(CacheVerdict.Replayed, cache.Begin(Id(7, 2), 1, out var cached));   // still in the window
        Assert.Equal(Id(7, 2), cached!.RequestId);
        Assert.Equal(CacheVerdict.New, cache.Begin(Id(7, 4), 1, out _));
        Assert.Equal(CacheVerdict.New, cache.Begin(Id(8, 1), 1, out _));         // another origin has its own mark
    }

    [Fact]
    public void An_abandoned_request_may_begin_again_but_a_finished_one_is_kept()
    {
        var cache = new RequestCache();
        Assert.Equal(CacheVerdict.New, cache.Begin(Id(1, 1), 5, out _));
        cache.Abandon(Id(1, 1));
        Assert.Equal(CacheVerdict.New, cache.Begin(Id(1, 1), 5, out _));
        cache.Complete(Id(1, 1), Ack(Id(1, 1)));
        cache.Abandon(Id(1, 1));
        Assert.Equal(CacheVerdict.Replayed, cache.Begin(Id(1, 1), 5, out _));
        Assert.Equal(CacheVerdict.Reused, cache.Begin(Id(1, 1), 6, out _));
    }

    [Fact]
    public void Past_max_origins_the_oldest_origins_mark_is_forgotten()
    {
        var cache = new RequestCache(capacity: 1, maxOrigins: 2);
        foreach (uint origin in new uint[] { 1, 2, 3, 4 }) Finish(cache, Id(origin, 1));   // evicts 1, 2, 3 in turn

        Assert.Equal(CacheVerdict.New, cache.Begin(Id(1, 1), 1, out _));      // origin 1's mark went with the bound
        Assert.Equal(CacheVerdict.Replay, cache.Begin(Id(2, 1), 1, out _));
        Assert.Equal(CacheVerdict.Replay, cache.Begin(Id(3, 1), 1, out _));
    }

    [Fact]
    public void Small_acks_fill_the_whole_window_and_each_is_replayed_byte_for_byte()
    {
        var cache = new RequestCache(capacity: 64);
        for (uint i = 1; i <= 1000; i++) Finish(cache, Id(3, i));

        Assert.Equal(64, cache.Count);
        for (uint i = 937; i <= 1000; i++)
        {
            Assert.Equal(CacheVerdict.Replayed, cache.Begin(Id(3, i), 1, out var cached));
            Assert.Equal(Id(3, i), cached!.RequestId);
        }
        Assert.Equal(CacheVerdict.Replay, cache.Begin(Id(3, 936), 1, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Acks_of_any_length_keep_the_newest_requests_whole_in_fixed_memory(int seed)
    {
        // The window is the newest requests, in the order they finished: as many as the capacity, fewer when long
        // ACKs fill the ring of bytes first. Every one held answers with its own ACK, every one not held is a replay.
        var random = new Random(seed);
        var cache = new RequestCache(capacity: 512);
        var messages = new Dictionary<ulong, string>();
        int fewest = int.MaxValue;
        for (uint i = 1; i <= 20_000; i++)
        {
            ulong id = Id(9, i);
            string message = new('m', random.Next(4) == 0 ? random.Next(0, 1000) : random.Next(0, 40));
            messages[id] = message;
            Assert.Equal(CacheVerdict.New, cache.Begin(id, i, out _));
            cache.Complete(id, new AckPdu { RequestId = id, Code = AckCode.Failure, Results = new AttrList().Add(AttrType.Message, message) });

            if (i % 997 != 0 && i < 19_990) continue;
            int held = cache.Count;
            Assert.InRange(held, 1, 512);
            fewest = Math.Min(fewest, held);
            for (uint j = 1; j <= i; j++)
            {
                var verdict = cache.Begin(Id(9, j), j, out var cached);
                if (j > i - held)
                {
                    Assert.Equal(CacheVerdict.Replayed, verdict);
                    Assert.Equal(Id(9, j), cached!.RequestId);
                    Assert.Equal(messages[Id(9, j)], cached.Results.Text(AttrType.Message));
                }
                else
                {
                    Assert.Equal(CacheVerdict.Replay, verdict);
                }
            }
        }
        Assert.True(fewest < 512, "long ACKs should have made the window shorter than its capacity");
    }

    [Fact]
    public async Task A_replay_beyond_the_window_is_refused_and_not_acted_on()
    {
        using var hypervisor = new FakeHypervisor();
        using var workers = new BlockingWorkers("test");
        var vm = hypervisor.Define("a");
        var processor = new RequestProcessor(hypervisor, 9, TimeSpan.FromSeconds(20), workers, (_, _) => { }, LogManager.GetLogger("test"), new RequestCache(capacity: 1));
        RequestPdu Start(uint counter) => new() { RequestId = Id(3, counter), BootId = 9, Code = RequestCode.Start, Vm = vm };

        Assert.Equal(AckCode.Success, (await processor.HandleAsync(Start(1), "test")).Code);
        Assert.Equal(AckCode.Success, (await processor.HandleAsync(Start(2), "test")).Code);   // evicts 1
        var replay = await processor.HandleAsync(Start(1), "test");

        Assert.Equal(AckCode.Failure, replay.Code);
        Assert.StartsWith("replay", replay.Results.Text(AttrType.Message));
        Assert.Equal([Id(3, 1), Id(3, 2)], hypervisor.Executed.Select(e => e.Id));
    }

    [Fact]
    public async Task A_call_past_its_deadline_fails_and_keeps_the_vm_busy_until_it_returns()
    {
        using var hypervisor = new FakeHypervisor { BlockCode = RequestCode.Stop };
        using var workers = new BlockingWorkers("test");
        var vm = hypervisor.Define("a", PowerState.Running);
        var changed = new List<Guid>();
        var processor = new RequestProcessor(hypervisor, 9, TimeSpan.FromMilliseconds(200), workers, (g, _) => { lock (changed) changed.Add(g); }, LogManager.GetLogger("test"));
        hypervisor.Gate.Reset();
        uint counter = 0;
        RequestPdu Req(RequestCode code, AttrList? p = null) => new() { RequestId = Id(4, ++counter), BootId = 9, Code = code, Vm = vm, Parameters = p ?? [] };

        var stop = Req(RequestCode.Stop, new AttrList().Add(AttrType.TimeoutMs, 0));
        var late = await processor.HandleAsync(stop, "test");
        Assert.Equal(AckCode.Failure, late.Code);
        Assert.Contains("did not finish", late.Results.Text(AttrType.Message));
        Assert.Equal(AckCode.Busy, (await processor.HandleAsync(Req(RequestCode.Start), "test")).Code);
        var retry = await processor.HandleAsync(stop, "test");   // the outcome is cached like any other
        Assert.Equal((AckCode.Failure, AckFlags.Replayed), (retry.Code, retry.Flags));

        hypervisor.Gate.Set();
        Assert.True(SpinWait.SpinUntil(() => { lock (changed) return changed.Contains(vm); }, TimeSpan.FromSeconds(20)), "the late call's VM is re-read when it returns");
        Assert.Equal(AckCode.Success, (await processor.HandleAsync(Req(RequestCode.Start), "test")).Code);
        Assert.Equal(PowerState.Running, hypervisor.Get(vm)!.Power);
    }
}
