// Which processes hold a VM's disk image open for writing, read from /proc without lsof: each process's open files
// (/proc/PID/fd, whose links name the file as its mount namespace sees it) and each one's open flags
// (/proc/PID/fdinfo/FD, "flags:" in octal; O_ACCMODE 1 is write-only, 2 read-write). The HA tests and benchmark count
// the samples in which two processes had it so: a disk opened read-write twice (spec §15.4).
namespace Vmm.E2E.Harness;

internal static class OpenDisks
{
    /// <summary>The pids of every process that has a disk image of <paramref name="vm"/> (a file NAME-TARGET.qcow2,
    /// spec §8.1) open for writing.</summary>
    public static List<int> Writers(string vm)
    {
        var writers = new List<int>();
        string prefix = "/" + vm + "-";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            if (HoldsForWriting(dir, prefix)) writers.Add(pid);
        }
        return writers;
    }

    private static bool HoldsForWriting(string dir, string prefix)
    {
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")))
            {
                string? target = new FileInfo(fd).LinkTarget;
                if (target is null || !target.EndsWith(".qcow2", StringComparison.Ordinal) || !target.Contains(prefix, StringComparison.Ordinal)) continue;
                if (WritesThrough(Path.Combine(dir, "fdinfo", Path.GetFileName(fd)))) return true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process ended, or its files are not ours to read.
        }
        return false;
    }

    /// <summary>True when an fdinfo file's flags open the file for writing (O_WRONLY or O_RDWR).</summary>
    internal static bool WritesThrough(string fdinfo)
    {
        foreach (var line in File.ReadLines(fdinfo))
        {
            if (!line.StartsWith("flags:", StringComparison.Ordinal)) continue;
            int flags = Convert.ToInt32(line["flags:".Length..].Trim(), 8);
            return (flags & 3) is 1 or 2;
        }
        return false;
    }
}
