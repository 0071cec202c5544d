// Who is on the other end of the admin socket: the kernel's SO_PEERCRED (socket(7)), taken when the
// connection is accepted. It is logged with every request; permission is the socket file's mode.
using System.Buffers.Binary;
using System.Net.Sockets;

namespace Vmm.Controller.Admin;

internal readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const int SolSocket = 1, SoPeerCred = 17;

    /// <summary>Reads struct ucred { pid_t pid; uid_t uid; gid_t gid; } in the host's byte order; null if the kernel refuses.</summary>
    public static PeerCredentials? Of(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[12];
        try
        {
            if (socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred) < 12) return null;
        }
        catch (SocketException)
        {
            return null;
        }
        return new(BinaryPrimitives.ReadInt32LittleEndian(ucred), BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[8..]));
    }

    public override string ToString() => $"uid={Uid} pid={Pid}";
}
