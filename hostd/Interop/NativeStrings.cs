using System.Runtime.InteropServices;

namespace Vmm.Hostd.Interop;

/// <summary>libvirt's two kinds of string return: borrowed (const char*) and handed over (char*).</summary>
internal static unsafe class NativeStrings
{
    /// <summary>Reads a const char* that libvirt keeps owning.</summary>
    public static string? Borrowed(nint p) => p == 0 ? null : Marshal.PtrToStringUTF8(p);

    /// <summary>Reads a char* that the caller owns and frees it (NativeMemory.Free is free() on Linux).</summary>
    public static string? Take(nint p)
    {
        if (p == 0) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { NativeMemory.Free((void*)p); }
    }
}
