using System.Runtime.InteropServices;

namespace Vmm.Hostd.Interop;

/// <summary>libvirt's two kinds of string return: borrowed (const char*) and handed over (char*).</summary>
internal static unsafe class NativeStrings
{
    /// <summary>Reads a const char* that libvirt keeps owning.</summary>
    public static string? Borrowed(nint p) => p == 0 ? null : Marshal.PtrToStringUTF8(p);

    /// <summary>A char* the caller owns, read in place as UTF-8 bytes (no string made) and freed by Dispose.</summary>
    public readonly struct Owned(nint p) : IDisposable
    {
        public ReadOnlySpan<byte> Utf8 => p == 0 ? default : MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)p);

        public void Dispose()
        {
            if (p != 0) NativeMemory.Free((void*)p);
        }
    }

    /// <summary>Reads a char* that the caller owns and frees it (NativeMemory.Free is free() on Linux).</summary>
    public static string? Take(nint p)
    {
        if (p == 0) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { NativeMemory.Free((void*)p); }
    }
}
