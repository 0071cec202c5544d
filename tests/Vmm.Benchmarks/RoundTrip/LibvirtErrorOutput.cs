// libvirt prints every error to stderr unless the process installs an error handler of its own, and hostd
// does not install one yet. On a test driver node read from a file, virNodeGetFreeMemory fails at every
// heartbeat (such a node has no NUMA cells, so the driver answers 0, which libvirt reports as "an error
// occurred, but the cause is unknown"): hostd leaves free memory out, as it should, but libvirt would print
// a line a second through the whole run. The errors still reach both sides: the bindings read them with
// virGetLastError, and a failed operation fails the run.
using System.Runtime.InteropServices;

namespace Vmm.Benchmarks.RoundTrip;

internal static class LibvirtErrorOutput
{
    // virErrorFunc: void (*)(void *userData, virErrorPtr error)
    private delegate void ErrorFunc(nint userData, nint error);

    // Kept alive for the life of the process: libvirt holds the pointer made from it.
    private static readonly ErrorFunc Ignore = (_, _) => { };

    [DllImport("libvirt.so.0")]
    private static extern void virSetErrorFunc(nint userData, nint handler);

    /// <summary>Stops libvirt from printing its errors to this process's stderr.</summary>
    public static void Silence() => virSetErrorFunc(0, Marshal.GetFunctionPointerForDelegate(Ignore));
}
