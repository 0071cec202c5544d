// hostd's TCP listener (spec §2, §3.4, §9): many connections, pipelined requests, each ACK on the
// connection its request came from. A stream error (bad framing, failed authentication, a PDU that is
// not a REQUEST) ends only its own connection, with an ERROR; a PDU error is answered by an ACK.
// A stop is graceful: the listener closes (new connections are refused), requests already begun get up to
// the stop timeout to finish, requests that arrive meanwhile are answered "stopping", and whatever is still
// running after the timeout is answered too, so that no request a controller sent goes unanswered.
// Bounds (spec §12): connections in all and per source, where a new connection displaces one that never
// delivered an authentic PDU (ConnectionAdmission); a deadline for that first PDU; ACK bytes queued per
// connection, past which the connection's requests are not read (AckQueue); and log lines a peer can cause,
// at most one per source and reason every 10 s.
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using NLog;
using Vmm.Hosting;
using Vmm.Hosting.Logging;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Internal;

/// <summary>Accepts controller connections and answers their requests.</summary>
internal sealed partial class RequestServer : IDisposable
{
    private readonly Socket _listener;
    private readonly KeyRing _keys;
    private readonly RequestProcessor _processor;
    private readonly ConnectionLimits _limits;
    private readonly int _maxInFlight;
    private readonly Logger _log;
    private readonly ConcurrentDictionary<Connection, byte> _open = new();
    private readonly ConnectionAdmission _admission;
    private readonly LogThrottle _throttle = new(TimeSpan.FromSeconds(10));
    private readonly PendingSet<Pending> _requests = new();   // taken and not answered yet, over every connection
    private volatile bool _stopping;

    /// <summary>Binds <paramref name="listen"/> at once (port 0 picks a free port: see <see cref="LocalEndPoint"/>).
    /// Requests must be signed with one of this host's <paramref name="keys"/>, so a request made for another host
    /// is never acted on here (spec §3.3); ACKs and ERRORs are signed with the first.</summary>
    public RequestServer(IPEndPoint listen, KeyRing keys, RequestProcessor processor, ConnectionLimits limits, Logger log)
    {
        _keys = keys;
        _processor = processor;
        _limits = limits;
        _maxInFlight = limits.MaxRequestsPerConnection;
        _admission = new ConnectionAdmission(limits.MaxConnections, limits.MaxConnectionsPerSource);
        _log = log;
        _listener = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (listen.AddressFamily == AddressFamily.InterNetworkV6) _listener.DualMode = listen.Address.Equals(IPAddress.IPv6Any);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(listen);
        _listener.Listen(128);
        LocalEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    /// <summary>The address bound (still known after a stop has closed the listener).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Connections open now.</summary>
    public int Connections => _admission.Count;

    /// <summary>Sources with a connection open now.</summary>
    public int Sources => _admission.Sources;

    /// <summary>The bounds it runs with.</summary>
    public ConnectionLimits Limits => _limits;

    /// <summary>What this listener refused or held back (the processor counts its own decisions).</summary>
    public TransportCounters Counters { get; } = new();

    /// <summary>Requests taken and not answered yet, over every connection.</summary>
    public int RequestsInFlight => _requests.Count;

    /// <summary>True from the stop on: new requests are answered "stopping".</summary>
    public bool Stopping => _stopping;

    /// <summary>The ACK message of a request that arrives while hostd stops.</summary>
    public const string StoppingMessage = "hostd is stopping: request not carried out; send it again when the host is back (a new boot)";

    /// <summary>The ACK message of a request still running when the stop timeout ran out.</summary>
    public const string AbandonedMessage = "hostd stopped before the hypervisor finished; the operation may still complete (the host's next STATE will show it)";

    /// <summary>
    /// Accepts connections until <paramref name="stop"/>. Then stops: no new connections, up to
    /// <paramref name="grace"/> for requests in flight to finish (new ones are answered "stopping"), an ACK
    /// for each request still running after that, and every connection closed once its ACKs are written.
    /// </summary>
    public async Task RunAsync(CancellationToken stop, TimeSpan grace = default)
    {
        var open = new List<Task>();
        using var closing = new CancellationTokenSource();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                Socket socket;
                try { socket = await _listener.AcceptAsync(stop).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
                catch (SocketException e)
                {
                    // Out of file descriptors, say: a line a peer can cause, so one per 10 s.
                    LogThrottled(LogLevel.Warn, "local", "accept", "accept failed: {0}{1}", e.Message, "");
                    continue;
                }
                var connection = new Connection(this, socket);
                var slot = _admission.TryAdmit(connection.Address, connection.Displace, out var evicted, out string? refusal);
                if (slot is null)
                {
                    Interlocked.Increment(ref Counters.ConnectionsRefused);
                    LogThrottled(LogLevel.Warn, connection.Source, "refused", "connection from {0} refused: {1}", connection.Peer, refusal);
                    socket.Dispose();
                    continue;
                }
                if (evicted is not null)
                {
                    Interlocked.Increment(ref Counters.ConnectionsEvicted);
                    evicted.Close();
                }
                open.RemoveAll(t => t.IsCompleted);
                open.Add(ServeAsync(connection, slot, closing.Token));
            }
        }
        finally
        {
            // Closed first: a controller connecting from now on is refused at once, not left waiting.
            _listener.Dispose();
            _stopping = true;
            await DrainAsync(grace).ConfigureAwait(false);
            await closing.CancelAsync().ConfigureAwait(false);
            var closed = Task.WhenAll(open);
            // A peer that reads nothing cannot hold the stop up: its socket is closed under its ACKs.
            if (await Task.WhenAny(closed, Task.Delay(CloseTimeout)).ConfigureAwait(false) != closed)
                foreach (var connection in _open.Keys) connection.Abort();
            await closed.ConfigureAwait(false);
        }
    }

    /// <summary>How long connections have to write their last ACKs once a stop closes them.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    // Waits for requests in flight, up to grace; the connections keep reading, so that each new request is
    // answered "stopping" rather than lost.
    private async Task DrainAsync(TimeSpan grace)
    {
        int waiting = RequestsInFlight;
        if (waiting == 0) return;
        _log.Info("stopping: waiting up to {0:0.#} s for {1} request(s) in flight", grace.TotalSeconds, waiting);
        try { await _requests.WhenEmpty().WaitAsync(grace).ConfigureAwait(false); }
        catch (TimeoutException) { }
        int left = RequestsInFlight;
        if (left > 0)
            _log.Warn("stopping: {0} request(s) still running after stop-timeout ({1:0.#} s); answering them \"stopped\"", left, grace.TotalSeconds);
    }

    private async Task ServeAsync(Connection connection, ConnectionAdmission.Slot slot, CancellationToken closing)
    {
        _open[connection] = 0;
        try
        {
            await connection.RunAsync(slot, closing).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogThrottled(LogLevel.Warn, connection.Source, "failed", "connection from {0} failed: {1}", connection.Peer, e.Message);
        }
        finally
        {
            _open.TryRemove(connection, out _);
            _admission.Release(slot);
            connection.Abort();
            connection.Dispose();
        }
    }

    // A line a peer can cause as often as it likes: at most one per source and reason every 10 s, the next
    // one saying how many were left out.
    private void LogThrottled(LogLevel level, string source, string reason, string format, object? a, object? b)
    {
        if (!_log.IsEnabled(level) || !_throttle.Due(ref source, reason, out long suppressed)) return;
        _log.Log(level, format + "{2}", a, b, LogThrottle.More(suppressed));
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>A request being worked on; exactly one ACK is sent for it, whoever claims it first.</summary>
    private sealed class Pending(RequestPdu request)
    {
        private int _answered;

        public RequestPdu Request { get; } = request;

        /// <summary>The work on it (Connection.ProcessAsync), which never faults.</summary>
        public Task? Work { get; set; }

        public bool TryClaim() => Interlocked.Exchange(ref _answered, 1) == 0;
    }
}
