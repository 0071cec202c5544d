// Allocation checks of the ingest path, robust to the runtime's own one-off work on the test thread: a method's
// tier-up to optimized code may allocate a few KB once, at a moment no warm-up pins down (it allocated 5,904 bytes
// once in a loaded run). A per-datagram allocation shows in every round, so the least of several rounds is 0 only
// when the path itself allocates nothing.
namespace Vmm.Controller.Tests;

internal static class Allocations
{
    /// <summary>Runs <paramref name="round"/> for each of <paramref name="rounds"/> and asserts that at least one of them
    /// allocated nothing on this thread; the message lists every round's bytes.</summary>
    public static void NoneInSomeRound<T>(IEnumerable<T> rounds, Action<T> round)
    {
        var bytes = new List<long>();
        foreach (var r in rounds)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            round(r);
            bytes.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(bytes.Count > 1 && bytes.Min() == 0, $"bytes allocated per round: {string.Join(", ", bytes)}");
    }
}
