using System.Net.Sockets;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests;

/// <summary>A vmmctl stand-in on a real Unix socket: sends PDUs (or raw bytes) and reads PDUs back.</summary>
internal sealed class AdminClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly byte[] _buffer = new byte[1 << 20];
    private int _held;

    public AdminClient(string path) => _socket.Connect(new UnixDomainSocketEndPoint(path));

    public void Send(Pdu pdu) => SendRaw(PduCodec.ToBytes(pdu));

    public void SendRaw(byte[] bytes) => _socket.Send(bytes);

    /// <summary>The next PDU, or null when the controller closed the connection.</summary>
    public async Task<Pdu?> ReadAsync(int timeoutMs = 20_000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        while (true)
        {
            bool decoded;
            Pdu? pdu;
            int used;
            try
            {
                decoded = PduCodec.TryDecode(_buffer.AsSpan(0, _held), out pdu, out used);
            }
            catch (ProtocolException e)
            {
                // The bytes themselves, to tell a codec fault from bytes changed on the way (a buffer written by two).
                throw new ProtocolException(e.Code, $"{e.Message}; the PDU's bytes: {Convert.ToHexStringLower(_buffer.AsSpan(0, Math.Min(_held, 600)))}");
            }
            if (decoded)
            {
                _buffer.AsSpan(used, _held - used).CopyTo(_buffer);
                _held -= used;
                return pdu;
            }
            int n = await _socket.ReceiveAsync(_buffer.AsMemory(_held), SocketFlags.None, timeout.Token);
            if (n == 0) return null;
            _held += n;
        }
    }

    /// <summary>Reads PDUs up to and including the RESULT that ends a reply.</summary>
    public async Task<(List<Pdu> Items, AdminResultPdu Result)> ReplyAsync()
    {
        var items = new List<Pdu>();
        while (true)
        {
            var pdu = await ReadAsync() ?? throw new InvalidOperationException("connection closed before RESULT");
            if (pdu is AdminResultPdu result) return (items, result);
            items.Add(pdu);
        }
    }

    public async Task<AdminResultPdu> SubmitAsync(RequestCode code, AttrList parameters, RequestFlags flags = RequestFlags.None)
    {
        Send(new AdminSubmitPdu { Code = code, Flags = flags, Parameters = parameters });
        var (items, result) = await ReplyAsync();
        Assert.Empty(items);
        return result;
    }

    public void Dispose() => _socket.Dispose();
}
