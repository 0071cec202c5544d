// madvise(2) for hostd's start-up trim (Internal/StartupTrim.cs).
using System.Runtime.InteropServices;

namespace Vmm.Hostd.Interop;

internal static partial class Libc
{
    /// <summary>MADV_PAGEOUT (Linux 5.4): reclaim the range's pages now, as memory pressure would.</summary>
    public const int MadvPageOut = 21;

    [LibraryImport(Libraries.Libc, EntryPoint = "madvise", SetLastError = true)]
    private static partial int MadviseNative(nint address, nuint length, int advice);

    /// <summary>madvise(2); 0, or the errno it failed with.</summary>
    public static int Madvise(nint address, nuint length, int advice) =>
        MadviseNative(address, length, advice) == 0 ? 0 : Marshal.GetLastPInvokeError();
}
