using System.Net.Sockets;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Ctl.Admin;

/// <summary>
/// One connection to the controller's admin socket (spec §2, §3.4). PDUs go out unsigned (key id 0, zero
/// tag, which the controller ignores) and come back through a buffer that grows up to the stream limit,
/// each decoded as soon as it is whole. Blocking I/O: a command line has nothing else to do while it waits.
/// </summary>
internal sealed class AdminConnection : IDisposable
{
    private readonly Socket _socket;
    private byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;

    private AdminConnection(Socket socket, string path)
    {
        _socket = socket;
        SocketPath = path;
    }

    public string SocketPath { get; }

    /// <summary>Connects, or throws an <see cref="AdminException"/> that says in one line why it could not.</summary>
    public static AdminConnection Open(string path)
    {
        UnixDomainSocketEndPoint endpoint;
        try { endpoint = new UnixDomainSocketEndPoint(path); }
        catch (ArgumentException)
        {
            throw new UsageException($"socket path '{Validation.Shorten(path)}' is too long for a Unix socket (at most 107 bytes)");
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(endpoint);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw Unreachable(path, e);
        }
        return new AdminConnection(socket, path);
    }

    // The three ways an operator meets an unreachable controller, each with what to do about it.
    private static AdminException Unreachable(string path, SocketException e) => new(Exit.Unreachable, e.SocketErrorCode switch
    {
        SocketError.AccessDenied =>
            $"controller unreachable: permission denied on {path} (join the socket's group, or run as root)",
        _ when !File.Exists(path) =>
            $"controller unreachable: no socket at {path} (is vmm-controller running? --socket or VMM_SOCKET name another path)",
        SocketError.ConnectionRefused =>
            $"controller unreachable: connection refused on {path} (nothing listens there: vmm-controller stopped and left its socket)",
        _ => $"controller unreachable: {path}: {e.Message}",
    });

    /// <summary>
    /// Sends <paramref name="pdu"/>, after decoding it once more: what vmmctl sends is built from a command
    /// line, so a value the protocol forbids is the operator's to fix (a usage error), not the controller's.
    /// </summary>
    public void Send(Pdu pdu)
    {
        byte[] bytes;
        try
        {
            bytes = PduCodec.ToBytes(pdu);
            PduCodec.Decode(bytes);
        }
        catch (ProtocolException e)
        {
            throw new UsageException(e.Message);
        }
        try
        {
            for (int sent = 0; sent < bytes.Length; ) sent += _socket.Send(bytes, sent, bytes.Length - sent, SocketFlags.None);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.Shutdown or SocketError.ConnectionReset)
        {
            // The controller closed first; it may have said why (a connection it refused gets RESULT unavailable):
            // Receive reads that, and reports this failure only if nothing came.
            _sendFailure = e;
        }
        catch (SocketException e)
        {
            throw Broken(e);
        }
    }

    private SocketException? _sendFailure;

    /// <summary>
    /// The next HOST, VM or RESULT; null when the controller closed the connection between PDUs. An ERROR
    /// from the controller, a PDU that does not decode, and a PDU a controller never sends all end the
    /// conversation with an <see cref="AdminException"/>; for the last two the controller is told why first
    /// (spec §9: an ERROR, then close).
    /// </summary>
    public Pdu? Receive()
    {
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            Pdu pdu;
            try
            {
                if (!PduFraming.TryReadFrame(pending, out _, out int consumed))
                {
                    if (Fill()) continue;
                    if (_end > _start) throw Lost($"closed the connection inside a PDU ({_end - _start} bytes of it had arrived)");
                    if (_sendFailure is { } failure) throw Broken(failure);
                    return null;
                }
                pdu = PduCodec.Decode(pending[..consumed]);
                _start += consumed;
            }
            catch (ProtocolException e)
            {
                throw Refuse(e);
            }
            switch (pdu)
            {
                case ErrorPdu error:
                    var message = error.Attributes.Text(AttrType.Message);
                    throw new AdminException(Exit.Failure,
                        $"the controller ended the connection: {error.Code.Name()}{(message is null ? "" : ": " + message)}");
                case AdminHostPdu or AdminVmPdu or AdminResultPdu or AdminEventPdu:
                    return pdu;
                default:
                    throw Refuse(new ProtocolException(ProtocolErrorCode.UnexpectedType,
                        $"{pdu.Type.Name()} is not a PDU a controller sends on its admin socket"));
            }
        }
    }

    /// <summary>
    /// Ends the conversation over a PDU the controller should not have sent: an ERROR that says why, then
    /// close (spec §9). Returns the exception to throw.
    /// </summary>
    public AdminException Refuse(ProtocolException e)
    {
        try
        {
            _socket.Send(PduCodec.ToBytes(ErrorPdu.For(e)));
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // The controller may be gone already; the operator learns what went wrong either way.
        }
        return new AdminException(Exit.Failure, $"the controller sent a bad PDU: {e.Code.Name()}: {e.Message}");
    }

    /// <summary>Reads what the socket has into the buffer, growing it for a long PDU; false at end of stream.</summary>
    private bool Fill()
    {
        if (_start == _end) _start = _end = 0;
        if (_end == _buffer.Length)
        {
            int held = _end - _start;
            // PduFraming refused any length above the stream limit, so the buffer never outgrows it.
            var target = held == _buffer.Length ? new byte[Math.Min(_buffer.Length * 2, PduHeader.MaxStreamPdu)] : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, held);
            _buffer = target;
            _start = 0;
            _end = held;
        }
        int n;
        try
        {
            n = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
        }
        catch (SocketException e)
        {
            throw Broken(e);
        }
        _end += n;
        return n > 0;
    }

    /// <summary>
    /// What a connection lost before the answer means: by default the controller went away (exit 9, unreachable:
    /// nothing was asked of a host, try again); for a SUBMIT, the request may have reached a host and been done, so
    /// the outcome is unknown (exit 6), as for a controller that gave up waiting.
    /// </summary>
    public bool RequestInFlight { get; set; }

    /// <summary>The error for a connection closed or broken before the answer, by <see cref="RequestInFlight"/>.</summary>
    public AdminException Lost(string what) => RequestInFlight
        ? new(Exit.Timeout, $"the controller at {SocketPath} {what} before it answered: the request may have taken effect; " +
            "vmmctl vm show tells (a controller that restarted no longer knows the request by its id)")
        : new(Exit.Unreachable, $"controller unreachable: the controller at {SocketPath} {what} before it answered; try again");

    private AdminException Broken(SocketException e) => Lost($"broke the connection ({e.Message})");

    public void Dispose() => _socket.Dispose();
}
