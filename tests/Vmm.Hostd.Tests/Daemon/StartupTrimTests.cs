// hostd's start-up trim (issue 12): read-only private file mappings are paged out, nothing else is touched.
using System.Globalization;
using System.Runtime.InteropServices;
using Vmm.Hostd.Internal;

namespace Vmm.Hostd.Tests.Daemon;

public sealed class StartupTrimTests
{
    [Theory]
    [InlineData("7f1c2a000000-7f1c2a200000 r-xp 00000000 fd:01 1234 /usr/lib/libvirt.so.0", true)]
    [InlineData("7f1c2a000000-7f1c2a200000 r--p 00010000 fd:01 1234 /opt/vmm/vmm-hostd", true)]
    [InlineData("7f1c2a000000-7f1c2a200000 rw-p 00010000 fd:01 1234 /usr/lib/libvirt.so.0", false)]   // written: its own copies
    [InlineData("7f1c2a000000-7f1c2a200000 r--s 00000000 fd:01 1234 /dev/shm/x", false)]             // shared
    [InlineData("7f1c2a000000-7f1c2a200000 rw-p 00000000 00:00 0 ", false)]                           // anonymous
    [InlineData("7ffd1000-7ffd3000 r--p 00000000 00:00 0 [vvar]", false)]
    [InlineData("nonsense", false)]
    public void Only_read_only_private_file_mappings_are_paged_out(string line, bool paged)
    {
        Assert.Equal(paged, StartupTrim.TryParse(line, out var start, out var end));
        if (paged) Assert.True(end > start);
    }

    [Fact]
    public void A_file_mapping_read_through_is_no_longer_resident_after_the_trim()
    {
        const int Size = 4 << 20;
        string path = Path.Combine(Path.GetTempPath(), $"vmm-trim-{Environment.ProcessId}-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, Enumerable.Range(0, Size).Select(i => (byte)i).ToArray());
        int fd = Open(path, 0);
        Assert.True(fd >= 0);
        nint map = Mmap(0, Size, ProtRead, MapPrivate, fd, 0);
        try
        {
            Assert.NotEqual(-1, (long)map);
            long sum = 0;
            for (int i = 0; i < Size; i += 4096) sum += Marshal.ReadByte(map, i + 1);
            Assert.True(sum > 0);
            Assert.Equal(Size / 1024, ResidentKiB(map));

            string maps = Path.Combine(Path.GetTempPath(), $"vmm-trim-maps-{Guid.NewGuid():N}");
            File.WriteAllLines(maps, File.ReadLines("/proc/self/maps").Where(l => l.StartsWith(Hex(map) + "-", StringComparison.Ordinal)));
            var result = StartupTrim.PageOutFileMappings(maps);
            File.Delete(maps);

            Assert.Equal(0, result.Error);
            Assert.Equal(1, result.Mappings);
            Assert.Equal(0, ResidentKiB(map));
            Assert.Equal(4, Marshal.ReadByte(map, 4));       // still readable: it comes back on use
        }
        finally
        {
            Munmap(map, Size);
            Close(fd);
            File.Delete(path);
        }
    }

    private static string Hex(nint address) => ((ulong)address).ToString("x", CultureInfo.InvariantCulture);

    // The Rss line of the mapping that starts at the address, in /proc/self/smaps.
    private static int ResidentKiB(nint address)
    {
        bool inside = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            if (char.IsAsciiHexDigit(line[0]) && line.Contains('-') && line.Contains(' ')) inside = line.StartsWith(Hex(address) + "-", StringComparison.Ordinal);
            else if (inside && line.StartsWith("Rss:", StringComparison.Ordinal))
                return int.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("mapping not found");
    }

    private const int ProtRead = 1, MapPrivate = 2;

    [DllImport("libc.so.6", EntryPoint = "open")]
    private static extern int Open(string path, int flags);

    [DllImport("libc.so.6", EntryPoint = "close")]
    private static extern int Close(int fd);

    [DllImport("libc.so.6", EntryPoint = "mmap")]
    private static extern nint Mmap(nint address, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc.so.6", EntryPoint = "munmap")]
    private static extern int Munmap(nint address, nuint length);
}
