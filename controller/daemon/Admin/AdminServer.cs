// The admin socket (spec §2): a Unix stream socket for vmmctl, mode 0660, many clients at once. Each
// connection is an AdminSession; the caller's uid (SO_PEERCRED) is logged with every request. Connections are
// bounded in all and per uid, the last few kept for root, so that no user can lock out root's vmmctl; a
// refused one is closed at once and logged rate-limited (RefusalLog).
using System.Collections.Concurrent;
using System.Net.Sockets;
using NLog;
using Vmm.Controller.Inventory;
using Vmm.Controller.Placement;
using Vmm.Protocol;

namespace Vmm.Controller.Admin;

internal sealed class AdminServer : IAsyncDisposable
{
    private readonly Logger _log;
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    private readonly Lock _uidsGate = new();
    private readonly Dictionary<uint, int> _perUid = [];
    private Socket? _listener;
    private long _accepted;

    /// <param name="options">Socket path, mode, group and bounds.</param>
    /// <param name="inventory">What queries and watches read, and SUBMIT resolves against.</param>
    /// <param name="dispatcher">Sends SUBMITs' requests to hosts.</param>
    /// <param name="placer">Places an add that names no host.</param>
    /// <param name="log">Where requests and their outcomes are logged; "vmm.admin" by default.</param>
    public AdminServer(AdminOptions options, FleetInventory inventory, IDispatcher dispatcher, Placer placer, Logger? log = null)
    {
        Options = options;
        Inventory = inventory;
        _log = log ?? LogManager.GetLogger("vmm.admin");
        Submits = new SubmitHandler(inventory, dispatcher, placer, _log);
        Drains = new Drainer(inventory, dispatcher, Submits, placer, _log, options.DrainParallel);
        Refusals = new RefusalLog(_log);
    }

    /// <summary>Refused connections, bad PDUs and idle connections closed: counted, and logged rate-limited.</summary>
    internal RefusalLog Refusals { get; }

    public AdminOptions Options { get; }

    /// <summary>Connections being served now.</summary>
    public int Sessions => _sessions.Count;

    public FleetInventory Inventory { get; }

    internal SubmitHandler Submits { get; }

    /// <summary>Drains of hosts (QUERY drain and undrain).</summary>
    internal Drainer Drains { get; }

    /// <summary>
    /// Creates the socket: a stale socket file is removed, a live one (another controller) refuses the
    /// start; then the file gets its mode and group. Throws <see cref="AdminSocketException"/> with one line.
    /// </summary>
    public void Start()
    {
        if (_listener is not null) return;
        string path = Options.Path;
        SocketFile.Claim(path);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            SocketFile.Secure(path, Options.Mode, Options.Group);
            listener.Listen(128);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            throw new AdminSocketException($"cannot listen on admin socket {path}: {e.Message}");
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        _listener = listener;
        _log.Info("admin socket listening on {0}", path);
    }

    /// <summary>
    /// Accepts clients until <paramref name="stop"/> is cancelled. Then, in this order: the listener closes
    /// and the socket file goes (a vmmctl started from now on is told no controller listens, at once), and
    /// every session ends, which closes its connection (vmmctl reports the closed connection in one line).
    /// </summary>
    public async Task RunAsync(CancellationToken stop)
    {
        Start();
        var listener = _listener!;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.Interrupted or SocketError.TooManyOpenSockets)
                {
                    _log.Warn("admin socket: accept failed: {0}", e.Message);
                    if (e.SocketErrorCode == SocketError.TooManyOpenSockets) await Task.Delay(100, stop).ConfigureAwait(false);
                    continue;
                }
                Serve(client, stop);
            }
        }
        finally
        {
            listener.Dispose();
            TryDelete(Options.Path);
            if (!_sessions.IsEmpty) _log.Info("admin socket closed; ending {0} session(s)", _sessions.Count);
            await Task.WhenAll(_sessions.Values).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener?.Dispose();
        await Task.WhenAll(_sessions.Values).ConfigureAwait(false);
    }

    private void Serve(Socket client, CancellationToken stop)
    {
        long number = Interlocked.Increment(ref _accepted);
        var peer = PeerCredentials.Of(client);
        uint uid = peer?.Uid ?? UnknownUid;
        string? refusal;
        lock (_uidsGate)
        {
            int ofUid = _perUid.GetValueOrDefault(uid);
            refusal = Refusal(uid, _sessions.Count, ofUid, Options);
            if (refusal is null) _perUid[uid] = ofUid + 1;
        }
        if (refusal is not null)
        {
            Refusals.Warn(uid, "refused", () => $"admin #{number} {peer?.ToString() ?? "uid=?"}: connection refused: {refusal}");
            Refuse(client, refusal);
            return;
        }
        var session = new AdminSession(client, this, peer, number, _log);
        _sessions[number] = Run(number, uid, session, stop);
    }

    /// <summary>Tells a refused client why (RESULT unavailable, so vmmctl exits 8 with that line rather than
    /// "connection reset"), without waiting: the socket's buffer is empty, and a write that would block is dropped.</summary>
    private static void Refuse(Socket client, string why)
    {
        try
        {
            client.Blocking = false;
            client.Send(PduCodec.ToBytes(AdminReplies.Result(AckCode.Unavailable, $"the controller refused the connection: {why}; try again shortly")));
        }
        catch (SocketException)
        {
        }
        client.Dispose();
    }

    /// <summary>The uid counted for a connection whose peer the kernel did not name.</summary>
    private const uint UnknownUid = uint.MaxValue;

    /// <summary>
    /// Why a new connection of <paramref name="uid"/> is refused, with <paramref name="open"/> connections served
    /// and <paramref name="ofUid"/> of them that uid's; null when it is served. Root may use the last
    /// <see cref="AdminOptions.RootReserve"/> connections, nobody else.
    /// </summary>
    internal static string? Refusal(uint uid, int open, int ofUid, AdminOptions options)
    {
        if (open >= options.MaxClients)
            return $"{options.MaxClients} clients already connected (max-admin-connections)";
        if (uid != 0 && open >= options.MaxClients - AdminOptions.RootReserve)
            return $"{open} clients already connected; the last {AdminOptions.RootReserve} of max-admin-connections are kept for root";
        if (ofUid >= options.MaxClientsPerUid)
            return $"uid {uid} already has {ofUid} connections (max-admin-connections-per-uid)";
        return null;
    }

    private async Task Run(long number, uint uid, AdminSession session, CancellationToken stop)
    {
        await Task.Yield();
        try
        {
            await session.RunAsync(stop).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.Error(e, "admin #{0}: session failed", number);
        }
        finally
        {
            _sessions.TryRemove(number, out _);
            lock (_uidsGate)
            {
                if (_perUid.TryGetValue(uid, out int n) && n > 1) _perUid[uid] = n - 1;
                else _perUid.Remove(uid);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
