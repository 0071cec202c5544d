// Everything the dispatcher keeps for one hostd endpoint: the request slots that bound what is in flight to it,
// and its one connection, opened on demand and again after it is lost. Connect attempts are shared: when a host
// is down, the requests to it wait for one attempt at a time, with capped backoff between attempts, instead of
// each hammering the host on its own.
// Once a request on it was hedged (its path stalls), the link also keeps spares (SpareConnections, 2 by default):
// connections proven with a ping (hostd closes a connection that sends nothing authentic within its handshake
// timeout), that a hedge takes at once when the current connection stalls. Without one a hedge waits for a connect,
// and on the lossy path that made the current one stall a lost SYN alone costs a second, two lost ones three; two
// spares cover a second stall that comes while the spare taken for the first is being replaced. A host whose path
// never stalls costs one connection, not three (a fleet of 10,000 hosts: 10,000 sockets).
using System.Net;
using NLog;
using Vmm.Hosting;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Controller.Dispatch;

/// <summary>The dispatcher's state for one host endpoint.</summary>
internal sealed class HostLink
{
    private readonly DispatchContext _context;
    private readonly DispatchOptions _options;
    private readonly Logger _log;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();

    // Guards the fields below. A connection's close callback takes it, so no connection is closed while holding it.
    private readonly Lock _gate = new();
    private HostConnection? _connection;
    private readonly List<HostConnection> _retired = [];
    private Task<HostConnection?>? _connecting;
    private int _failures;
    private long _retryAt;
    private string? _lastError;
    private bool _stopped;
    private readonly List<HostConnection> _spares = [];
    private readonly List<Task> _sparesOpening = [];
    private long _sparesOpened, _sparesTaken;
    private bool _sparesWanted;   // a hedge happened on this link

    public HostLink(string name, IPEndPoint endpoint, DispatchContext context)
    {
        Name = name;
        Endpoint = endpoint;
        _context = context;
        _options = context.Options;
        _log = context.Log;
        _time = context.Time;
        Slots = new SemaphoreSlim(_options.MaxInFlightPerHost, _options.MaxInFlightPerHost);
    }

    /// <summary>The host's name: its key signs the link's requests and checks its ACKs.</summary>
    public string Name { get; }

    /// <summary>Where its hostd listens.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>One slot per request in flight to this host (spec §3.4: hostd bounds them too).</summary>
    public SemaphoreSlim Slots { get; }

    /// <summary>Requests holding this link; kept by the dispatcher under its own lock, so an idle link is dropped only when unused.</summary>
    public int Users { get; set; }

    /// <summary>Spare connections opened and proven, and those a hedge took.</summary>
    public (long Opened, long Taken) Spares
    {
        get { lock (_gate) return (_sparesOpened, _sparesTaken); }
    }

    /// <summary>Why the last connect attempt failed; null after a success.</summary>
    public string? LastError
    {
        get { lock (_gate) return _lastError; }
    }

    /// <summary>
    /// An open connection: the current one, or a new one once a (shared) connect attempt succeeds. Failed attempts
    /// are repeated with backoff until <paramref name="cancel"/>, which carries the request's deadline.
    /// </summary>
    public async Task<HostConnection> ConnectAsync(CancellationToken cancel)
    {
        while (true)
        {
            Task<HostConnection?>? attempt;
            TimeSpan wait = Timeout.InfiniteTimeSpan;
            lock (_gate)
            {
                if (_connection is { IsOpen: true } open) return open;
                if (_connecting is null && !_stopped)
                {
                    long now = _time.GetTimestamp();
                    // On the pool, not inline: the attempt takes _gate when it ends, and may end at once.
                    if (now >= _retryAt) _connecting = Task.Run(OpenAsync);
                    // Rounded up: timers count whole milliseconds, and a wait rounded down to 0 would spin.
                    else wait = TimeSpan.FromMilliseconds(Math.Ceiling(_time.GetElapsedTime(now, _retryAt).TotalMilliseconds));
                }
                attempt = _connecting;
            }
            if (attempt is null)
            {
                // Backing off; or stopped for good, and then only the caller's token (which the dispatcher's stop
                // cancels too) ends the wait.
                await Task.Delay(wait, _time, cancel).ConfigureAwait(false);
                continue;
            }
            var connection = await attempt.WaitAsync(cancel).ConfigureAwait(false);
            lock (_gate)
            {
                if (_connecting == attempt) _connecting = null;
            }
            if (connection is not null) return connection;
        }
    }

    /// <summary>
    /// A connection other than <paramref name="stalled"/>, for a hedged send (spec §7.6): the link's current one if
    /// another request replaced <paramref name="stalled"/> already, else a new one, which becomes current while
    /// <paramref name="stalled"/> is retired (it closes once what it carries is settled). Null when
    /// <see cref="DispatchOptions.MaxRetiredConnections"/> are held already: the request is not hedged.
    /// </summary>
    public async Task<HostConnection?> ReplaceAsync(HostConnection stalled, CancellationToken cancel)
    {
        bool retire = false;
        HostConnection? spare = null;
        lock (_gate)
        {
            if (_connection is { IsOpen: true } current && current != stalled) return current;
            // The path stalls: from now on the link keeps spares (until it is dropped as idle).
            _sparesWanted = true;
            if (_connection == stalled && stalled.IsOpen)
            {
                _retired.RemoveAll(static c => !c.IsOpen);
                if (_retired.Count >= _options.MaxRetiredConnections) return null;
                _retired.Add(stalled);
                _connection = null;
                retire = true;
            }
            _spares.RemoveAll(static c => !c.IsOpen);
            if (_connection is null && _spares.Count > 0)
            {
                _connection = spare = _spares[0];
                _spares.RemoveAt(0);
                _sparesTaken++;
                OpenSpare();
            }
        }
        if (retire) stalled.Retire();
        if (spare is not null) return spare;
        var fresh = await ConnectAsync(cancel).ConfigureAwait(false);
        lock (_gate) OpenSpare();
        return fresh;
    }

    /// <summary>True when the link has no connection, or one that has carried nothing for <paramref name="idle"/>.</summary>
    public bool IsIdle(TimeSpan idle)
    {
        HostConnection? connection;
        lock (_gate) connection = _connection;
        if (connection?.IdleSince is not { } since) return connection is null;
        return _time.GetElapsedTime(since) >= idle;
    }

    /// <summary>Closes the connection and stops connecting; waits for the read loop to end.</summary>
    public async Task StopAsync(string reason)
    {
        List<HostConnection> connections;
        Task[] spareOpening;
        lock (_gate)
        {
            _stopped = true;
            connections = [.. _retired];
            if (_connection is not null) connections.Add(_connection);
            connections.AddRange(_spares);
            _connection = null;
            _spares.Clear();
            _retired.Clear();
            spareOpening = [.. _sparesOpening];
        }
        _stop.Cancel();
        await Task.WhenAll(spareOpening).ConfigureAwait(false);
        foreach (var connection in connections) connection.Close(reason, expected: true);
        foreach (var connection in connections) await connection.Reading.ConfigureAwait(false);
    }

    private async Task<HostConnection?> OpenAsync()
    {
        string peer = $"{Name} ({Endpoint})";
        try
        {
            var connection = await HostConnection.OpenAsync(Endpoint, Name, peer, _context, OnClosed, _stop.Token).ConfigureAwait(false);
            bool stopped;
            lock (_gate)
            {
                stopped = _stopped;
                if (!stopped)
                {
                    _connection = connection;
                    _failures = 0;
                    _lastError = null;
                    if (_sparesWanted) OpenSpare();
                }
            }
            if (stopped)
            {
                connection.Close("the dispatcher is stopping", expected: true);
                return null;
            }
            _log.Info("connected to {Peer}", peer);
            return connection;
        }
        catch (Exception e)
        {
            // Whatever a connect throws, the host cannot be reached from here: the requests waiting for it are owed
            // an answer (unavailable), never an exception.
            string why = e is OperationCanceledException
                ? _stop.IsCancellationRequested ? "the dispatcher is stopping" : $"no answer to connect within {DispatchOptions.Seconds(_options.ConnectTimeout)} s"
                : e.Message;
            int failures;
            lock (_gate)
            {
                failures = ++_failures;
                var backoff = Backoff.Delay(failures - 1, _options.ReconnectBackoffInitial, _options.ReconnectBackoffMax);
                _retryAt = _time.GetTimestamp() + (long)(backoff.TotalSeconds * _time.TimestampFrequency);
                _lastError = why;
            }
            // One warning when a host becomes unreachable; the retries that follow are routine.
            if (failures == 1) _log.Warn("cannot connect to {Peer}: {Why}; retrying with backoff while requests wait", peer, why);
            else _log.Debug("cannot connect to {Peer}: {Why} ({Failures} attempts)", peer, why, failures);
            return null;
        }
    }

    // Under _gate: opens spares until SpareConnections are there or on their way, unless hedging is off or the link stops.
    private void OpenSpare()
    {
        if (_options.HedgeAfter <= TimeSpan.Zero || _options.MaxHedges == 0 || _stopped) return;
        _spares.RemoveAll(static c => !c.IsOpen);
        _sparesOpening.RemoveAll(static t => t.IsCompleted);
        while (_spares.Count + _sparesOpening.Count < _options.SpareConnections) _sparesOpening.Add(Task.Run(OpenSpareAsync));
    }

    // A connection proven by a ping to any boot, kept as the spare; on any failure there is none until the current
    // connection is replaced or opened again (a host that cannot take a second connection works without one).
    private async Task OpenSpareAsync()
    {
        string peer = $"{Name} ({Endpoint})";
        HostConnection? connection = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(_options.ConnectTimeout * 2);
            connection = await HostConnection.OpenAsync(Endpoint, Name, peer, _context, OnClosed, timeout.Token).ConfigureAwait(false);
            if (!_context.Ids.TryNext(out ulong id)) throw new InvalidOperationException("no request id left for a ping");
            var ping = PduCodec.ToBytes(new RequestPdu { RequestId = id, Code = RequestCode.Ping }, _context.Keys.For(Name).Signing);
            var ack = await connection.ExchangeAsync(id, ping, timeout.Token).ConfigureAwait(false);
            if (ack is not { Code: AckCode.Success }) throw new InvalidOperationException($"the ping was answered {(ack is null ? "by a close" : ack.Code.ToString())}");
            lock (_gate)
            {
                if (!_stopped && connection.IsOpen && _spares.Count < _options.SpareConnections)
                {
                    _spares.Add(connection);
                    _sparesOpened++;
                    connection = null;
                }
            }
            if (connection is null) _log.Debug("spare connection to {Peer} ready", peer);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (!_stop.IsCancellationRequested) _log.Debug("no spare connection to {Peer}: {Why}", peer, e.Message);
        }
        finally
        {
            connection?.Close("not needed as a spare", expected: true);
        }
    }

    private void OnClosed(HostConnection connection)
    {
        lock (_gate)
        {
            if (_connection == connection) _connection = null;
            _spares.Remove(connection);
            _retired.Remove(connection);
        }
    }
}
