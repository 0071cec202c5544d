// hostd's resident memory after start-up (issue 12). Starting touches much of the binary and of libvirt's libraries
// (libvirt, gnutls, libxml2, glib: about 20 MB mapped) once: relocations, initializers, the first connection, the
// first read of every domain's XML. The kernel maps a file's pages around each fault (64 KiB at a time), so about
// 11 MB of file pages stay resident in hostd though its steady state runs a fraction of that code: RSS 30 MB at rest
// where the heartbeat and request paths need about 20. Once start-up is over, hostd asks the kernel to reclaim the
// pages of its read-only file mappings (madvise MADV_PAGEOUT): what the steady state runs comes back on its first
// use (from the page cache, or read again from disk), what only start-up ran is gone. Pages another process maps too
// (libc, or libcrypto while a controller runs on the same machine) are left where they are, and so are writable
// mappings (their dirty pages are anonymous copies, and there is no swap to reclaim them to). The kernel lets a
// process page out a file's pages only when it owns the file or may write it, so a hostd that does not run as root
// gives back less; a kernel older than 5.4 has no MADV_PAGEOUT and hostd says so once.
using System.Globalization;
using Vmm.Hostd.Interop;

namespace Vmm.Hostd.Internal;

/// <summary>Gives back, once, the file pages only start-up used.</summary>
internal static class StartupTrim
{
    /// <summary>What one trim did: read-only file mappings advised, and the process's resident bytes around it.</summary>
    public readonly record struct Result(int Mappings, long RssBefore, long RssAfter, int Error);

    /// <summary>Waits <paramref name="after"/> (zero: never trims), then trims and logs what it gave back.</summary>
    public static async Task RunAsync(TimeSpan after, NLog.Logger log, CancellationToken stop)
    {
        if (after <= TimeSpan.Zero) return;
        try
        {
            await Task.Delay(after, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        var result = PageOutFileMappings("/proc/self/maps");
        if (result.Error != 0)
            log.Info("start-up trim not done: madvise(MADV_PAGEOUT) failed ({0}; it needs Linux 5.4)", System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(result.Error));
        else
            log.Info("start-up trim: {0} read-only file mappings paged out, resident memory {1} -> {2} KiB",
                result.Mappings, result.RssBefore / 1024, result.RssAfter / 1024);
    }

    /// <summary>Pages out every read-only, private, file-backed mapping listed in <paramref name="maps"/> (a /proc/PID/maps
    /// of this process); stops at the first error other than a mapping gone meanwhile.</summary>
    public static Result PageOutFileMappings(string maps)
    {
        long before = ResidentBytes();
        int advised = 0;
        foreach (var line in File.ReadLines(maps))
        {
            if (!TryParse(line, out var start, out var end)) continue;
            int error = Libc.Madvise((nint)start, (nuint)(end - start), Libc.MadvPageOut);
            const int Enomem = 12;
            if (error == Enomem) continue;
            if (error != 0) return new Result(advised, before, ResidentBytes(), error);
            advised++;
        }
        return new Result(advised, before, ResidentBytes(), 0);
    }

    /// <summary>One line of /proc/PID/maps ("start-end perms offset dev inode path"): true for a read-only private
    /// mapping of a file, with its range.</summary>
    internal static bool TryParse(string line, out ulong start, out ulong end)
    {
        start = end = 0;
        var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 6 || !fields[5].StartsWith('/')) return false;
        string perms = fields[1];
        if (perms.Length != 4 || perms[0] != 'r' || perms[1] != '-' || perms[3] != 'p') return false;
        if (fields[4] == "0") return false;
        int dash = fields[0].IndexOf('-', StringComparison.Ordinal);
        return dash > 0
            && ulong.TryParse(fields[0].AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out start)
            && ulong.TryParse(fields[0].AsSpan(dash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out end)
            && end > start;
    }

    /// <summary>This process's resident bytes (/proc/self/statm, second field).</summary>
    public static long ResidentBytes()
    {
        var fields = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(fields[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
    }
}
