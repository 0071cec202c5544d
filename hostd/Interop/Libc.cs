// The C library calls hostd needs beyond libvirt: realpath(3), statx(2) for a file's type (which .NET does not
// expose; statx's struct has one layout on every architecture, unlike stat's), and getrandom(2) for random bytes
// (.NET's RandomNumberGenerator would initialize OpenSSL, 1.1 MB resident in hostd, for 8 bytes a boot).
using System.Runtime.InteropServices;

namespace Vmm.Hostd.Interop;

/// <summary>What a path names, from statx's stx_mode.</summary>
internal enum FileKind { Other, Regular, Directory, CharacterDevice, BlockDevice, Fifo, Socket, Symlink }

internal static unsafe partial class Libc
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x0001;
    private const int StatxSize = 256;
    private const int StxModeOffset = 28;

    [LibraryImport(Libraries.Libc, EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport(Libraries.Libc, EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int StatxNative(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport(Libraries.Libc, EntryPoint = "getrandom", SetLastError = true)]
    private static partial nint GetRandomNative(byte* buffer, nuint length, uint flags);

    private const int Enoent = 2;
    private const int Eintr = 4;
    private const int Enotdir = 20;

    /// <summary>The canonical absolute path of <paramref name="path"/>, every symbolic link and ".." resolved;
    /// throws <see cref="FileNotFoundException"/> when it names nothing, else <see cref="IOException"/>, with the
    /// system's reason (no such file, permission denied).</summary>
    public static string RealPath(string path)
    {
        nint p = RealPathNative(path, 0);
        if (p == 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            string why = Marshal.GetPInvokeErrorMessage(errno);
            throw errno is Enoent or Enotdir ? new FileNotFoundException(why, path) : new IOException(why);
        }
        return NativeStrings.Take(p)!;
    }

    /// <summary>
    /// Fills <paramref name="buffer"/> from the kernel's random source (getrandom(2), flags 0: blocks only until
    /// the source is first seeded at boot); a read cut short by a signal, or a short read, is taken up again.
    /// Throws <see cref="IOException"/> with the system's reason otherwise.
    /// </summary>
    public static void GetRandom(Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint got = GetRandomNative(start + done, (nuint)(buffer.Length - done), 0);
                if (got >= 0)
                {
                    done += (int)got;
                    continue;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno != Eintr) throw new IOException($"getrandom: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }
    }

    /// <summary>The kind of file <paramref name="path"/> names, following symbolic links; throws <see cref="IOException"/>.</summary>
    public static FileKind KindOf(string path)
    {
        byte* buffer = stackalloc byte[StatxSize];
        if (StatxNative(AtFdCwd, path, 0, StatxType, buffer) != 0)
            throw new IOException(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
        int mode = *(ushort*)(buffer + StxModeOffset) & 0xF000;
        return mode switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            0xA000 => FileKind.Symlink,
            _ => FileKind.Other,
        };
    }
}
