// Native library names in one place, and the marshalling switch for the whole hostd assembly.
using System.Runtime.CompilerServices;

// Every P/Invoke in hostd is source-generated ([LibraryImport]) over blittable types, so the runtime's
// marshaller is never needed: turning it off makes that a compile-time guarantee (and keeps AOT lean).
[assembly: DisableRuntimeMarshalling]

namespace Vmm.Hostd.Interop;

internal static class Libraries
{
    /// <summary>libvirt's soname: naming it (not "libvirt") means libvirt-dev is not needed at run time.</summary>
    public const string Libvirt = "libvirt.so.0";

    /// <summary>The C library's soname ("libc" alone would find the linker script libc6-dev installs, or nothing).</summary>
    public const string Libc = "libc.so.6";
}
