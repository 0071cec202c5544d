// The vir*ListAll* calls return a malloc'd array of object pointers: each element is the caller's reference
// (freed by its handle), the array itself the caller's to free.
namespace Vmm.Hostd.Interop;

internal static unsafe class NativeArrays
{
    /// <summary>The first <paramref name="n"/> elements of <paramref name="array"/>, each taken by a handle; frees the array.</summary>
    public static List<T> Adopt<T>(nint* array, int n, Func<nint, T> handle)
    {
        var handles = new List<T>(n);
        try
        {
            for (int i = 0; i < n; i++)
                handles.Add(handle(array[i]));
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free(array);
        }
        return handles;
    }
}
