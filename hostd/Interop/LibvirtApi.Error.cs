// virterror.h: the thread-local last error, and the one place that turns it into a HypervisorException.
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Vmm.Protocol;

namespace Vmm.Hostd.Interop;

/// <summary>struct _virError (virterror.h), LP64 layout: 80 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirError
{
    public int Code;        // virErrorNumber
    public int Domain;      // virErrorDomain
    public nint Message;    // char*
    public int Level;       // virErrorLevel
    public nint Conn;       // deprecated
    public nint Dom;        // deprecated
    public nint Str1;
    public nint Str2;
    public nint Str3;
    public int Int1;
    public int Int2;
    public nint Net;        // deprecated
}

/// <summary>The virErrorNumber values hostd tells apart.</summary>
internal static class ErrorNumber
{
    public const int InternalError = 1;
    public const int NoSupport = 3;
    public const int NoConnect = 5;
    public const int InvalidArg = 8;
    public const int OperationFailed = 9;
    public const int SystemError = 38;
    public const int Rpc = 39;
    public const int NoDomain = 42;
    public const int NoNetwork = 43;
    public const int NoStoragePool = 49;
    public const int NoStorageVolume = 50;
    public const int OperationInvalid = 55;
    public const int OperationTimeout = 68;
    public const int NoDomainSnapshot = 72;
    public const int ArgumentUnsupported = 74;
    public const int OperationUnsupported = 84;
}

internal static unsafe partial class LibvirtApi
{
    [LibraryImport(Libraries.Libvirt)]
    private static partial VirError* virGetLastError();

    [LibraryImport(Libraries.Libvirt)]
    private static partial void virResetLastError();

    [LibraryImport(Libraries.Libvirt)]
    private static partial void virSetErrorFunc(nint userData, delegate* unmanaged<nint, VirError*, void> handler);

    [UnmanagedCallersOnly]
    private static void IgnoreError(nint userData, VirError* error) { }

    /// <summary>
    /// Stops libvirt printing every error to stderr (its default): hostd reads each error where it happens
    /// and logs it once, as one line, through its own logger.
    /// </summary>
    public static void SilenceDefaultErrorOutput() => virSetErrorFunc(0, &IgnoreError);

    /// <summary>Throws unless <paramref name="rc"/> is 0 or more; returns it.</summary>
    public static int Ensure(int rc, string call)
    {
        if (rc < 0) ThrowLast(call);
        return rc;
    }

    /// <summary>Throws unless <paramref name="p"/> is a pointer; returns it.</summary>
    public static nint Ensure(nint p, string call)
    {
        if (p == 0) ThrowLast(call);
        return p;
    }

    /// <summary>A lookup's result: the object at <paramref name="p"/>, or null when the call failed with
    /// <paramref name="missing"/> (there is no such object); any other failure throws.</summary>
    public static T? Found<T>(nint p, int missing, string call, Func<nint, T> handle) where T : class
    {
        if (p != 0) return handle(p);
        var e = LastError(call);
        if (e.ErrorCode == missing) return null;
        throw e;
    }

    /// <summary>The calling thread's last libvirt error as an exception. Must run on the thread of the failed
    /// call and before any other libvirt call there: the error is thread-local and the next call resets it.</summary>
    [DoesNotReturn]
    public static void ThrowLast(string call) => throw LastError(call);

    /// <summary>The calling thread's last libvirt error, mapped to the ack code it deserves.</summary>
    public static HypervisorException LastError(string call)
    {
        VirError* e = virGetLastError();
        if (e is null)
            return new HypervisorException(AckCode.Failure, 0, $"{call} failed without saying why");
        int code = e->Code;
        string message = OneLine(NativeStrings.Borrowed(e->Message) ?? $"{call} failed (libvirt error {code})");
        virResetLastError();
        return new HypervisorException(Classify(code, message), (uint)code, message);
    }

    /// <summary>Which ack a libvirt error deserves: what the driver cannot do is unsupported; a domain, snapshot,
    /// network or volume that does not exist is not-found; an operation refused because another job holds the
    /// domain is busy (retrying later can succeed); the rest failed.</summary>
    public static AckCode Classify(int code, string message) => code switch
    {
        ErrorNumber.NoDomain or ErrorNumber.NoDomainSnapshot or ErrorNumber.NoNetwork or ErrorNumber.NoStorageVolume => AckCode.NotFound,
        ErrorNumber.NoSupport or ErrorNumber.ArgumentUnsupported or ErrorNumber.OperationUnsupported => AckCode.Unsupported,
        ErrorNumber.OperationTimeout => AckCode.Busy,
        // OPERATION_INVALID also says "domain is not running", which retrying will not fix; only the
        // job-lock refusals ("cannot acquire state change lock", "another job is running") are busy.
        ErrorNumber.OperationInvalid when message.Contains("job", StringComparison.OrdinalIgnoreCase)
            || message.Contains("state change lock", StringComparison.OrdinalIgnoreCase) => AckCode.Busy,
        _ => AckCode.Failure,
    };

    /// <summary>libvirt messages can carry newlines (QEMU's stderr): an ack message is one line.</summary>
    internal static string OneLine(string s) =>
        s.AsSpan().IndexOfAny('\r', '\n') < 0 ? s.Trim() : string.Join(' ', s.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
