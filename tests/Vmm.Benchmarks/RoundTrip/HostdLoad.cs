// The controller's side of the hostd round trip: one TCP connection, signed REQUESTs pipelined on it, ACKs
// matched by request id, as a controller dispatches. One thread sends and receives; each lane is one
// operation in flight (its own VM for VM operations: hostd allows one operation per VM at a time) and
// starts its next operation as soon as the ACK of its last step arrives.
using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Benchmarks.RoundTrip;

internal sealed class HostdLoad : ILoad
{
    private readonly Socket _socket;
    private readonly ClusterKey _key;
    private readonly ulong _boot;
    private readonly RequestCode[] _steps;
    private readonly IReadOnlyList<Guid> _vms;
    private readonly ArrayBufferWriter<byte> _out = new(16 * 1024);
    private readonly Dictionary<ulong, int> _pending = [];
    private byte[] _in = new byte[64 * 1024];
    private int _start, _filled;
    // Request ids: a random origin for this client, then a counter (spec §7.6).
    private readonly ulong _origin = (ulong)RandomNumberGenerator.GetInt32(1, int.MaxValue) << 32;
    private uint _counter;

    /// <param name="hostd">hostd's request endpoint.</param>
    /// <param name="key">The cluster key hostd verifies requests with.</param>
    /// <param name="boot">hostd's boot id, which every request names.</param>
    /// <param name="operation">The report's name for one operation.</param>
    /// <param name="steps">The requests one operation is made of, each sent when the previous one's ACK came.</param>
    /// <param name="vms">The VM of each lane; for a request without a VM (ping), lanes of <see cref="Guid.Empty"/>.</param>
    public HostdLoad(IPEndPoint hostd, ClusterKey key, ulong boot, string operation, RequestCode[] steps, IReadOnlyList<Guid> vms)
    {
        _key = key;
        _boot = boot;
        _steps = steps;
        _vms = vms;
        Operation = operation;
        _socket = new Socket(hostd.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 20_000 };
        _socket.Connect(hostd);
    }

    public string Operation { get; }

    public string Side => "hostd, 1 connection";

    public int MaxInFlight => _vms.Count;

    /// <summary>When set, each ACK's duration-us (hostd's own time for the request, from its arrival to its answer) is added to it.</summary>
    public List<double>? HostdTimesUs { get; set; }

    public TimeSpan Run(int inFlight, int count, long[]? latencies)
    {
        var lanes = new Lane[inFlight];
        int started = 0, finished = 0;
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < inFlight && started < count; i++, started++) Begin(ref lanes[i], i);
        Flush();
        while (finished < count)
        {
            var ack = Receive();
            if (!_pending.Remove(ack.RequestId, out int i))
                throw new InvalidOperationException($"hostd answered request {ack.RequestId:x16}, which is not in flight");
            if (ack.Code != AckCode.Success)
                throw new InvalidOperationException($"hostd answered {Names.Of(_steps[lanes[i].Step])} on {_vms[i]} with {Names.Of(ack.Code)}: {ack.Results.Text(AttrType.Message)}");
            if (HostdTimesUs is not null && ack.Results.Number(AttrType.DurationUs) is ulong us) HostdTimesUs.Add(us);
            ref var lane = ref lanes[i];
            if (++lane.Step < _steps.Length)
            {
                Send(i, lane.Step);
            }
            else
            {
                if (latencies is not null) latencies[finished] = Stopwatch.GetTimestamp() - lane.Started;
                finished++;
                if (started < count) { started++; Begin(ref lane, i); }
            }
            // Everything already received is answered before the next write: one send per batch of ACKs.
            if (!HasFrame()) Flush();
        }
        return Stopwatch.GetElapsedTime(t0);
    }

    private void Begin(ref Lane lane, int i)
    {
        lane = new Lane(0, Stopwatch.GetTimestamp());
        Send(i, 0);
    }

    private void Send(int lane, int step)
    {
        ulong id = _origin | ++_counter;
        _pending.Add(id, lane);
        var request = new RequestPdu { RequestId = id, BootId = _boot, Code = _steps[step], Vm = _vms[lane] };
        PduCodec.Encode(request, _out, _key);
    }

    private void Flush()
    {
        var bytes = _out.WrittenSpan;
        while (bytes.Length > 0) bytes = bytes[_socket.Send(bytes)..];
        _out.ResetWrittenCount();
    }

    private bool HasFrame() => PduFraming.TryReadFrame(_in.AsSpan(_start, _filled - _start), out _, out _);

    // The next ACK: received bytes are _in[_start.._filled]; a frame is decoded where it lies.
    private AckPdu Receive()
    {
        while (true)
        {
            var unread = _in.AsSpan(_start, _filled - _start);
            if (PduFraming.TryReadFrame(unread, out _, out int consumed))
            {
                var pdu = PduCodec.Decode(unread[..consumed], _key);
                _start += consumed;
                return pdu as AckPdu
                    ?? throw new InvalidOperationException($"hostd sent {pdu.Type} instead of an ACK{(pdu is ErrorPdu e ? ": " + e.Attributes.Text(AttrType.Message) : "")}");
            }
            // Keep the partial frame at the front, then read more after it.
            unread.CopyTo(_in);
            _filled = unread.Length;
            _start = 0;
            if (_filled == _in.Length) Array.Resize(ref _in, _in.Length * 2);
            int n = _socket.Receive(_in.AsSpan(_filled));
            if (n == 0) throw new InvalidOperationException("hostd closed the connection");
            _filled += n;
        }
    }

    public void Dispose() => _socket.Dispose();

    private record struct Lane(int Step, long Started);
}
