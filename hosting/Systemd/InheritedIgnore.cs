// A daemon started under nohup(1), or by anything else that sets SIGHUP to ignored, inherits the ignore across exec,
// and .NET then installs no handler for it: `kill -HUP` would reload nothing, and say nothing. The daemons take SIGHUP
// as "reload", never as a hang-up, so the inherited ignore is undone before their handler is registered.
using System.Runtime.InteropServices;

namespace Vmm.Hosting.Systemd;

/// <summary>Undoes an ignore of a signal inherited from the parent process.</summary>
internal static partial class InheritedIgnore
{
    private const nint SigDfl = 0, SigIgn = 1;

    // struct sigaction is 152 bytes on x86-64 and 144 on arm64 glibc; its first member is the handler on both.
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private struct SigAction
    {
        public nint Handler;
    }

    [LibraryImport("libc", EntryPoint = "sigaction")]
    private static partial int SigActionNative(int signal, nint action, out SigAction old);

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint SignalNative(int signal, nint handler);

    /// <summary>
    /// When <paramref name="signal"/> (a Linux signal number) is ignored now, sets it to its default action and
    /// returns true; otherwise changes nothing (a handler the runtime installed stays exactly as it is).
    /// </summary>
    public static bool Undo(int signal)
    {
        if (!OperatingSystem.IsLinux()) return false;
        if (SigActionNative(signal, 0, out var old) != 0 || old.Handler != SigIgn) return false;
        SignalNative(signal, SigDfl);
        return true;
    }
}
