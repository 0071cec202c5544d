// The admin socket's file: a stale one (left by a controller that died) is removed, a live one (another
// controller answers on it) stops this one from starting, and the new one gets its mode and group.
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Vmm.Controller.Admin;

internal static partial class SocketFile
{
    /// <summary>Makes <paramref name="path"/> free for a new listener, or throws <see cref="AdminSocketException"/>.</summary>
    public static void Claim(string path)
    {
        if (Path.GetDirectoryName(path) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        if (!File.Exists(path)) return;
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new AdminSocketException($"another controller is listening on {path}; stop it first, or give this one another admin socket path");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Nobody listens: left over by a controller that did not stop cleanly.
            }
        }
        File.Delete(path);
    }

    /// <summary>Sets the socket file's mode and, when given, its group (a name or a number).</summary>
    public static void Secure(string path, UnixFileMode mode, string? group)
    {
        File.SetUnixFileMode(path, mode);
        if (group is null) return;
        uint gid = uint.TryParse(group, out var n) ? n : GroupId(group);
        if (Chown(path, uint.MaxValue, gid) != 0)
            throw new AdminSocketException($"cannot give {path} to group {group}: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    /// <summary>The id of group <paramref name="name"/>, or <see cref="AdminSocketException"/> when there is none.</summary>
    public static uint GroupId(string name)
    {
        nint entry = GetGroupByName(name);
        if (entry == 0) throw new AdminSocketException($"no group named {name} for the admin socket");
        // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; }
        return (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size);
    }

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "getgrnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetGroupByName(string name);
}

/// <summary>The admin socket cannot be set up; the message says why and what to do, in one line.</summary>
internal sealed class AdminSocketException(string message) : Exception(message);
