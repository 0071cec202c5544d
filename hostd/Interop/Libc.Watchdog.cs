// The Linux watchdog device (Documentation/watchdog/watchdog-api.rst): open(2) arms it, each write(2) pets it,
// WDIOC_SETTIMEOUT sets how long it waits for the next pet before it resets the machine, and a write of 'V' just
// before close(2) (the "magic close") disarms it. Any other close leaves it armed: a hostd that dies or is stopped
// without saying so still lets the machine reset.
using System.Runtime.InteropServices;

namespace Vmm.Hostd.Interop;

internal static unsafe partial class Libc
{
    private const int OWriteOnly = 0x1, OCloseOnExec = 0x80000;

    // _IOWR('W', 6, int) and _IOR('W', 7, int): the argument is an int, in seconds.
    private const nuint WdiocSetTimeout = 0xC0045706, WdiocGetTimeout = 0x80045707;

    [LibraryImport(Libraries.Libc, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenNative(string path, int flags, uint mode);

    [LibraryImport(Libraries.Libc, EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteNative(int fd, byte* buffer, nuint count);

    [LibraryImport(Libraries.Libc, EntryPoint = "close", SetLastError = true)]
    private static partial int CloseNative(int fd);

    [LibraryImport(Libraries.Libc, EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlNative(int fd, nuint request, int* argument);

    /// <summary>Opens <paramref name="path"/> for writing (a watchdog device: this arms it); throws <see cref="IOException"/>.</summary>
    public static int OpenForWriting(string path)
    {
        int fd = OpenNative(path, OWriteOnly | OCloseOnExec, 0);
        if (fd < 0) throw new IOException(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
        return fd;
    }

    /// <summary>Writes the byte <paramref name="value"/> to <paramref name="fd"/>; false, with the system's reason, if it was not written.</summary>
    public static bool WriteByte(int fd, byte value, out string? error)
    {
        nint written;
        do
        {
            written = WriteNative(fd, &value, 1);
        } while (written < 0 && Marshal.GetLastPInvokeError() == Eintr);
        error = written == 1 ? null : written < 0 ? Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()) : "short write";
        return error is null;
    }

    /// <summary>Closes <paramref name="fd"/>.</summary>
    public static void Close(int fd) => CloseNative(fd);

    /// <summary>
    /// Sets a watchdog device's timeout to <paramref name="seconds"/> and returns the timeout the device took (a
    /// driver may round it); throws <see cref="IOException"/> when the device cannot set one (nor tell its own).
    /// </summary>
    public static int SetWatchdogTimeout(int fd, int seconds)
    {
        int value = seconds;
        if (IoctlNative(fd, WdiocSetTimeout, &value) == 0 && value > 0) return value;
        string why = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        value = 0;
        if (IoctlNative(fd, WdiocGetTimeout, &value) == 0 && value > 0)
            throw new IOException($"cannot set its timeout to {seconds} s ({why}); it has {value} s");
        throw new IOException($"cannot set its timeout ({why})");
    }
}
