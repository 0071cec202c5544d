// The lease's window (spec §15.4): hostd's deadline always comes before the moment the controller counts the host as
// fenced, whatever the network does to renewals and their ACKs. Both sides are the real classes (hostd's Lease, the
// controller's LeaseBook), each on its own clock, offset from the other by an unknown amount.
using Vmm.Controller.Ha;
using Vmm.Hostd.Internal;

namespace Vmm.Controller.Tests.Ha;

public sealed class LeaseWindowTests
{
    private const uint F = 5000;

    [Fact]
    public void LeaseBook_counts_from_the_last_granted_ack_and_never_back()
    {
        var book = new LeaseBook();
        Assert.Null(book.FencedBy("hv-a", F, 1000));
        book.Granted("hv-a", 7, 10_000, "ctl-1");
        Assert.Equal(16_000, book.FencedBy("hv-a", F, 1000));
        book.Granted("hv-a", 8, 9_000, "ctl-1");   // an older answer arriving late
        Assert.Equal(16_000, book.FencedBy("hv-a", F, 1000));
        Assert.Equal(8UL, book.Of("hv-a").Token);
        book.Refused("hv-a", "ctl-2");
        Assert.Null(book.FencedBy("hv-a", F, 1000));
        Assert.Equal("ctl-2", book.Of("hv-a").Holder);
    }

    // One run: two controllers renew every second, each until it is cut off at a time of its own (one of them maybe
    // never); each renewal and each ACK is lost with some probability or delayed by up to 4 s (TCP retransmissions
    // after a partition deliver late, and may deliver after the cut). A stand-in fencer marks the lease fenced whenever
    // it is lapsed. At every 10 ms and at every delivery, a controller that counts the host fenced must be right: the
    // lease is lapsed now, or the host fenced after the last grant that extended it for that controller (and then the
    // HA VMs it saw running are off, whoever holds the lease since). With one controller, the first alone must hold.
    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_controller_never_counts_the_host_fenced_before_it_has(int seed)
    {
        var random = new Random(seed);
        long real = 0;
        var lease = new Lease(null, () => real + 1_000_000_000, "boot");
        int controllers = seed % 3 == 0 ? 1 : 2;
        var books = new LeaseBook[controllers];
        var offsets = new long[controllers];
        var lastGrant = new long[controllers];
        long lastFence = long.MinValue;
        double loss = random.NextDouble() * 0.5;
        long end = 0;
        var events = new PriorityQueue<Action, long>();
        for (int c = 0; c < controllers; c++)
        {
            int me = c;
            books[c] = new LeaseBook();
            offsets[c] = random.NextInt64(1_000_000, 1_000_000_000_000);
            lastGrant[c] = long.MinValue;
            long cut = random.NextDouble() < 0.2 ? 40_000 : random.Next(2_000, 30_000);
            end = Math.Max(end, cut);
            for (long send = random.Next(0, 1000); send < cut; send += 1000)
            {
                events.Enqueue(() =>
                {
                    ulong token = books[me].Of("hv-a").Token;
                    if (random.NextDouble() < loss) return;
                    events.Enqueue(() =>
                    {
                        var answer = lease.Renew($"ctl-{me}", token, F);
                        if (answer.Granted && !lease.Lapsed) lastGrant[me] = real;
                        if (random.NextDouble() < loss) return;
                        events.Enqueue(() =>
                        {
                            if (answer.Granted) books[me].Granted("hv-a", answer.Token, real + offsets[me], answer.Holder!);
                            else books[me].Refused("hv-a", answer.Holder);
                        }, real + Delay(random));
                    }, real + Delay(random));
                }, send);
            }
        }
        for (long t = 0; t <= end + 30_000; t += 10)
        {
            while (events.TryPeek(out _, out long when) && when <= t)
            {
                events.TryDequeue(out var act, out when);
                real = when;
                act!();
                Check();
            }
            real = t;
            if (lease.Lapsed && lease.MarkFenced()) lastFence = real;
            Check();
        }

        void Check()
        {
            for (int c = 0; c < controllers; c++)
            {
                if (books[c].FencedBy("hv-a", F, 0) is not { } by || real + offsets[c] < by) continue;
                bool fenced = lease.Lapsed || lastFence >= lastGrant[c];
                Assert.True(fenced, $"seed {seed}: at {real} ms controller {c} counts hv-a fenced, but its lease runs {lease.RemainingMs} ms more " +
                    $"(held by {lease.Holder}) and it has not fenced since that controller's last extension at {lastGrant[c]} ms");
                if (controllers == 1) Assert.True(lease.Lapsed, $"seed {seed}: at {real} ms the only controller counts hv-a fenced, but its lease runs on");
            }
        }
    }

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < 200; i++) data.Add(i);
        return data;
    }

    // Mostly fast, sometimes very slow: a retransmission after a partition.
    private static long Delay(Random random) => random.NextDouble() < 0.8 ? random.Next(0, 50) : random.Next(50, 4000);
}
