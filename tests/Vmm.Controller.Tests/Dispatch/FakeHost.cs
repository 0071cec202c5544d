// A scriptable stand-in for hostd's request listener: it accepts the dispatcher's connections, checks and
// decodes every REQUEST with the cluster key, records what arrived where, and lets each test decide how to
// answer (at once, later, out of order, busy, forged, not at all, or by dropping the connection).
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Vmm.Hosting;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Tests.Dispatch;

/// <summary>One REQUEST as the fake host read it.</summary>
internal sealed record Arrival(RequestPdu Pdu, byte[] Body, int Connection);

internal sealed class FakeHost : IAsyncDisposable
{
    private readonly ClusterKey _key;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _serving = [];
    private readonly ConcurrentBag<FakeConnection> _connections = [];
    private readonly Task _accepting;
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, AckPdu> _cache = [];
    private int _connectionCount;
    private int _outstanding;
    private int _maxOutstanding;

    /// <param name="key">The cluster key requests must be signed with; ACKs are signed with it.</param>
    /// <param name="onRequest">Decides what to do with each request; runs on the connection's read loop.</param>
    /// <param name="listener">A started listener to serve on (default: a new one on a free loopback port).</param>
    public FakeHost(ClusterKey key, Action<FakeHost, FakeRequest> onRequest, TcpListener? listener = null)
    {
        _key = key;
        OnRequest = onRequest;
        _listener = listener ?? new TcpListener(IPAddress.Loopback, 0);
        if (listener is null) _listener.Start();
        Endpoint = (IPEndPoint)_listener.LocalEndpoint;
        _accepting = AcceptAsync();
    }

    public Action<FakeHost, FakeRequest> OnRequest { get; set; }
    public IPEndPoint Endpoint { get; }
    public ulong BootId { get; } = 0x0B00_7ED0_0000_0001;
    public ConcurrentQueue<Arrival> Arrivals { get; } = [];
    public ConcurrentQueue<ErrorPdu> ErrorsReceived { get; } = [];
    public ConcurrentDictionary<ulong, int> Executions { get; } = [];
    public int Connections => Volatile.Read(ref _connectionCount);
    public int ClosedConnections => _connections.Count(c => c.Closed);
    public int MaxOutstanding { get { lock (_gate) return _maxOutstanding; } }

    public HostTarget Target(string name = "hv1") => new(name, Endpoint, BootId);

    /// <summary>hostd's request-id cache (spec §7.6): the first arrival of an id is executed, later ones get its ACK.</summary>
    public bool TryExecute(RequestPdu request, AckCode code, AttrList? results, out AckPdu ack)
    {
        lock (_gate)
        {
            if (_cache.TryGetValue(request.RequestId, out var cached))
            {
                ack = cached with { Flags = AckFlags.Replayed };
                return false;
            }
            Executions.AddOrUpdate(request.RequestId, 1, (_, n) => n + 1);
            ack = AckFor(request, code, results);
            _cache[request.RequestId] = ack;
            return true;
        }
    }

    public AckPdu AckFor(RequestPdu request, AckCode code, AttrList? results = null) => new()
    {
        RequestId = request.RequestId, BootId = BootId, Code = code, Vm = request.Vm, Results = results ?? [],
    };

    /// <summary>Stops accepting: new connections are refused from now on.</summary>
    public void StopListening() => _listener.Stop();

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var c in _connections) c.Close();
        await _accepting;
        await Task.WhenAll(_serving);
    }

    internal void Answered(FakeConnection connection)
    {
        lock (_gate) _outstanding--;
    }

    internal void Send(FakeConnection connection, Pdu pdu, ClusterKey key) => connection.Write(PduCodec.ToBytes(pdu, key));

    internal ClusterKey Key => _key;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped listening
            }
            var connection = new FakeConnection(this, client, Interlocked.Increment(ref _connectionCount));
            _connections.Add(connection);
            _serving.Add(ServeAsync(connection));
        }
    }

    private async Task ServeAsync(FakeConnection connection)
    {
        var reader = PipeReader.Create(connection.Stream);
        try
        {
            await FrameLoop.RunAsync(reader, frame => OnFrame(connection, frame.Bytes), _stop.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or ProtocolException)
        {
            // The dispatcher closed the connection, or the test did.
        }
        finally
        {
            lock (_gate) _outstanding -= connection.Unanswered;
            connection.Close();
        }
    }

    private void OnFrame(FakeConnection connection, ReadOnlySpan<byte> frame)
    {
        var pdu = PduCodec.Decode(frame, _key);
        if (pdu is ErrorPdu error)
        {
            ErrorsReceived.Enqueue(error);
            return;
        }
        var request = Assert.IsType<RequestPdu>(pdu);
        Arrivals.Enqueue(new Arrival(request, PduCodec.Body(frame).ToArray(), connection.Index));
        lock (_gate)
        {
            _outstanding++;
            _maxOutstanding = Math.Max(_maxOutstanding, _outstanding);
        }
        connection.Received();
        OnRequest(this, new FakeRequest(this, connection, request));
    }
}

/// <summary>One accepted connection of the fake host.</summary>
internal sealed class FakeConnection(FakeHost host, TcpClient client, int index)
{
    private readonly Lock _write = new();
    private int _unanswered;
    private volatile bool _closed;

    public int Index => index;
    public NetworkStream Stream { get; } = client.GetStream();
    public bool Closed => _closed;
    public int Unanswered => Volatile.Read(ref _unanswered);

    public void Received() => Interlocked.Increment(ref _unanswered);

    public void Answered()
    {
        Interlocked.Decrement(ref _unanswered);
        host.Answered(this);
    }

    public void Write(byte[] bytes)
    {
        lock (_write)
        {
            try { Stream.Write(bytes); }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }
        }
    }

    public void Close()
    {
        _closed = true;
        client.Dispose();
    }
}

/// <summary>A request the test is to answer.</summary>
internal sealed class FakeRequest(FakeHost host, FakeConnection connection, RequestPdu pdu)
{
    public RequestPdu Pdu => pdu;
    public int Connection => connection.Index;

    /// <summary>Answers with <paramref name="ack"/>, signed with <paramref name="signWith"/> (default: the cluster key).</summary>
    public void Answer(AckPdu ack, ClusterKey? signWith = null)
    {
        connection.Answered();
        host.Send(connection, ack, signWith ?? host.Key);
    }

    public void Answer(AckCode code, AttrList? results = null) => Answer(host.AckFor(pdu, code, results));

    /// <summary>Answers with bytes as given (a PDU altered in transit).</summary>
    public void AnswerRaw(byte[] bytes)
    {
        connection.Answered();
        connection.Write(bytes);
    }

    /// <summary>Sends a stream ERROR and closes, as hostd does after a stream error.</summary>
    public void Fail(ProtocolErrorCode code, string message)
    {
        host.Send(connection, new ErrorPdu { Code = code, Attributes = new AttrList().Add(AttrType.Message, message) }, host.Key);
        connection.Close();
    }

    /// <summary>Drops the connection without answering.</summary>
    public void CloseConnection() => connection.Close();
}
