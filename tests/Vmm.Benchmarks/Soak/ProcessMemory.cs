// What a process holds in memory, from /proc: VmRSS and VmHWM (status), Private_Dirty (smaps_rollup: the pages
// that are this process's alone and written, which no other process and no file gives back).
namespace Vmm.Benchmarks.Soak;

/// <param name="RssKib">Resident now.</param>
/// <param name="HwmKib">The most resident so far.</param>
/// <param name="PrivateDirtyKib">Private and written: heaps, stacks, the binary's written data.</param>
internal readonly record struct MemorySample(long RssKib, long HwmKib, long PrivateDirtyKib)
{
    public override string ToString() => $"RSS {Mb(RssKib)}, private dirty {Mb(PrivateDirtyKib)}";

    public static string Mb(long kib) => $"{kib / 1024.0:0.0} MB";

    /// <summary>A difference in MB with its sign.</summary>
    public static string Delta(long kib) => $"{(kib >= 0 ? "+" : "-")}{Math.Abs(kib) / 1024.0:0.0} MB";
}

internal static class ProcessMemory
{
    public static MemorySample Read(int pid)
    {
        long rss = 0, hwm = 0, dirty = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kib(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kib(line);
        }
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
            if (line.StartsWith("Private_Dirty:", StringComparison.Ordinal)) dirty = Kib(line);
        return new MemorySample(rss, hwm, dirty);
    }

    /// <summary>Whether the process's RSS passed <paramref name="capKib"/>; a process that is gone counts as past it (stop what feeds it).</summary>
    public static bool Above(int pid, long capKib)
    {
        try { return Read(pid).RssKib > capKib; }
        catch (IOException) { return true; }
    }

    private static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
}
