// The metrics endpoint (metrics-listen): just enough HTTP/1.1 for a Prometheus scrape, on a socket of our own. One
// request a connection: GET or HEAD /metrics gets the exposition, any other path 404, any other method 405, and the
// connection is closed after the answer (Connection: close; Prometheus opens a new one next scrape).
// Bounded, so that a hostile peer costs a fixed amount: connections at once (past the bound a new one is closed at
// once), the request head's size (one rented buffer of max-request-bytes a connection; past it, 431), and a deadline
// for the head to arrive and another for the answer to be taken (a slow or silent peer is closed). Expositions are
// made one at a time (a scrape of a large fleet is CPU work), each into a pooled buffer, sent outside that gate.
// HttpListener (in the SDK) and the maintained clients were measured against this (tools/metrics-compare/run.sh):
// see the README's "Measured" section for the figures.
using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NLog;
using Vmm.Hosting.Configuration;

namespace Vmm.Hosting.Metrics;

/// <summary>Why a connection got no exposition; counted, and exposed as vmm_metrics_http_rejected_total.</summary>
public enum MetricsRejection { NotFound, BadMethod, BadRequest, TooLarge, Timeout, ConnectionLimit }

/// <summary>Serves <c>/metrics</c> in the Prometheus text format over plain HTTP/1.1.</summary>
public sealed class MetricsServer : IMetricsSource, IDisposable
{
    /// <summary>The Content-Type of the text format, version 0.0.4.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly string[] RejectionNames = ["not-found", "bad-method", "bad-request", "too-large", "timeout", "connection-limit"];

    private readonly Socket _listener;
    private readonly IReadOnlyList<IMetricsSource> _sources;
    private readonly MetricsServerLimits _limits;
    private readonly Logger _log;
    private readonly SemaphoreSlim _render = new(1, 1);
    private readonly ConcurrentDictionary<long, Task> _serving = new();
    private readonly long[] _rejected = new long[RejectionNames.Length];
    private long _connections, _scrapes, _accepted;
    private int _lastBytes;

    /// <summary>Binds <paramref name="listen"/> at once (port 0 picks one: <see cref="LocalEndPoint"/>); throws
    /// <see cref="SocketException"/> when it cannot. The exposition is <paramref name="sources"/> in order, then this
    /// server's own counters.</summary>
    public MetricsServer(IPEndPoint listen, IReadOnlyList<IMetricsSource> sources, MetricsServerLimits? limits = null, Logger? log = null)
    {
        _sources = sources;
        _limits = limits ?? new MetricsServerLimits();
        _log = log ?? LogManager.GetLogger("vmm.metrics");
        _listener = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (listen.AddressFamily == AddressFamily.InterNetworkV6) _listener.DualMode = listen.Address.Equals(IPAddress.IPv6Any);
            _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Bind(listen);
            _listener.Listen(64);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
        LocalEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    /// <summary>
    /// The server of a daemon's <c>metrics-listen</c> setting, bound now; null when the setting is empty (off). A bind
    /// that fails is one <see cref="ConfigException"/> line naming the setting.
    /// </summary>
    public static MetricsServer? Open(HostPort listen, IReadOnlyList<IMetricsSource> sources, Logger log)
    {
        if (!listen.IsSet) return null;
        try
        {
            return new MetricsServer((IPEndPoint)listen.ToEndPoint(), sources, log: log);
        }
        catch (SocketException e)
        {
            throw new ConfigException($"metrics-listen {listen}: {e.Message}");
        }
    }

    /// <summary>The address bound.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Connections being served now.</summary>
    public int Connections => (int)Interlocked.Read(ref _connections);

    /// <summary>Expositions sent (GET and HEAD of /metrics).</summary>
    public long Scrapes => Interlocked.Read(ref _scrapes);

    /// <summary>Connections that got no exposition, for <paramref name="why"/>.</summary>
    public long Rejected(MetricsRejection why) => Interlocked.Read(ref _rejected[(int)why]);

    /// <summary>One exposition, as a scrape gets it (tests and the bench call it without a socket).</summary>
    public PooledBufferWriter Render()
    {
        var buffer = new PooledBufferWriter(Math.Max(64 * 1024, Volatile.Read(ref _lastBytes) + 4096));
        try
        {
            var w = new MetricsWriter(buffer);
            foreach (var source in _sources) source.Write(w);
            Write(w);
            Volatile.Write(ref _lastBytes, buffer.Length);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Accepts scrapes until <paramref name="stop"/>; then closes the listener and waits for the connections
    /// being served (each ends within its deadlines, or at once on <paramref name="stop"/>).</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        _log.Info("metrics on http://{0}/metrics", LocalEndPoint);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.Interrupted or SocketError.TooManyOpenSockets)
                {
                    if (e.SocketErrorCode == SocketError.TooManyOpenSockets) await Task.Delay(100, stop).ConfigureAwait(false);
                    continue;
                }
                if (Interlocked.Increment(ref _connections) > _limits.MaxConnections)
                {
                    Interlocked.Decrement(ref _connections);
                    Interlocked.Increment(ref _rejected[(int)MetricsRejection.ConnectionLimit]);
                    client.Dispose();
                    continue;
                }
                long number = Interlocked.Increment(ref _accepted);
                var serving = ServeAsync(number, client, stop);
                _serving[number] = serving;
                // A connection served before it was added removed nothing: take it out here instead.
                if (serving.IsCompleted) _serving.TryRemove(number, out _);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            _listener.Dispose();
            await Task.WhenAll(_serving.Values).ConfigureAwait(false);
        }
    }

    private async Task ServeAsync(long number, Socket client, CancellationToken stop)
    {
        await Task.Yield();
        var head = ArrayPool<byte>.Shared.Rent(_limits.MaxRequestBytes);
        try
        {
            client.NoDelay = true;
            await AnswerAsync(client, head, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            Interlocked.Increment(ref _rejected[(int)MetricsRejection.Timeout]);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping, or the peer went away.
        }
        catch (Exception e)
        {
            _log.Error(e, "metrics: scrape failed");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(head);
            client.Dispose();
            Interlocked.Decrement(ref _connections);
            _serving.TryRemove(number, out _);
        }
    }

    private async Task AnswerAsync(Socket client, byte[] head, CancellationToken stop)
    {
        int max = _limits.MaxRequestBytes, filled = 0, end;
        using (var reading = CancellationTokenSource.CreateLinkedTokenSource(stop))
        {
            reading.CancelAfter(_limits.ReadTimeout);
            while ((end = HeadEnd(head.AsSpan(0, filled))) < 0)
            {
                if (filled == max)
                {
                    await RejectAsync(client, MetricsRejection.TooLarge, "431 Request Header Fields Too Large",
                        $"the request head is over {max} bytes", stop).ConfigureAwait(false);
                    return;
                }
                int n = await client.ReceiveAsync(head.AsMemory(filled, max - filled), SocketFlags.None, reading.Token).ConfigureAwait(false);
                if (n == 0) return;
                filled += n;
            }
        }

        var (method, path, problem) = Parse(head.AsSpan(0, end));
        if (problem is not null)
            await RejectAsync(client, MetricsRejection.BadRequest, "400 Bad Request", problem, stop).ConfigureAwait(false);
        else if (method is not ("GET" or "HEAD"))
            await RejectAsync(client, MetricsRejection.BadMethod, "405 Method Not Allowed", "only GET and HEAD are served", stop, "Allow: GET, HEAD\r\n").ConfigureAwait(false);
        else if (path != "/metrics")
            await RejectAsync(client, MetricsRejection.NotFound, "404 Not Found", "the metrics are at /metrics", stop).ConfigureAwait(false);
        else
            await ScrapeAsync(client, method == "HEAD", stop).ConfigureAwait(false);
    }

    private async Task ScrapeAsync(Socket client, bool headOnly, CancellationToken stop)
    {
        PooledBufferWriter body;
        Interlocked.Increment(ref _scrapes);
        await _render.WaitAsync(stop).ConfigureAwait(false);
        try
        {
            body = Render();
        }
        finally
        {
            _render.Release();
        }
        using (body)
        {
            var header = Header("200 OK", ContentType, body.Length, null);
            await SendAsync(client, header, headOnly ? ReadOnlyMemory<byte>.Empty : body.Written, stop).ConfigureAwait(false);
        }
    }

    private async Task RejectAsync(Socket client, MetricsRejection why, string status, string message, CancellationToken stop, string? extra = null)
    {
        Interlocked.Increment(ref _rejected[(int)why]);
        var body = Encoding.UTF8.GetBytes(message + "\n");
        await SendAsync(client, Header(status, "text/plain; charset=utf-8", body.Length, extra), body, stop).ConfigureAwait(false);
    }

    // The answer, then a half-close; what the peer still sends is read and dropped (for at most a second and 64 KiB)
    // so that closing with unread bytes does not reset the connection under the answer before the peer read it.
    private async Task SendAsync(Socket client, byte[] header, ReadOnlyMemory<byte> body, CancellationToken stop)
    {
        using (var writing = CancellationTokenSource.CreateLinkedTokenSource(stop))
        {
            writing.CancelAfter(_limits.WriteTimeout);
            await client.SendAsync(header, SocketFlags.None, writing.Token).ConfigureAwait(false);
            for (var rest = body; !rest.IsEmpty;)
            {
                int n = await client.SendAsync(rest, SocketFlags.None, writing.Token).ConfigureAwait(false);
                rest = rest[n..];
            }
        }
        client.Shutdown(SocketShutdown.Send);
        using var draining = CancellationTokenSource.CreateLinkedTokenSource(stop);
        draining.CancelAfter(TimeSpan.FromSeconds(1));
        var sink = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            for (int total = 0; total < 64 * 1024;)
            {
                int n = await client.ReceiveAsync(sink.AsMemory(), SocketFlags.None, draining.Token).ConfigureAwait(false);
                if (n == 0) break;
                total += n;
            }
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sink);
        }
    }

    private static byte[] Header(string status, string contentType, int length, string? extra) => Encoding.ASCII.GetBytes(
        $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {length.ToString(CultureInfo.InvariantCulture)}\r\n{extra}Connection: close\r\n\r\n");

    /// <summary>Where the request head ends (the index past its empty line), or -1 while it has not.</summary>
    internal static int HeadEnd(ReadOnlySpan<byte> received)
    {
        int crlf = received.IndexOf("\r\n\r\n"u8);
        int lf = received.IndexOf("\n\n"u8);
        if (crlf < 0) return lf < 0 ? -1 : lf + 2;
        return lf < 0 || crlf < lf ? crlf + 4 : lf + 2;
    }

    /// <summary>The method and path (query left off) of a request line; or why it is not one.</summary>
    internal static (string Method, string Path, string? Problem) Parse(ReadOnlySpan<byte> head)
    {
        int eol = head.IndexOf((byte)'\n');
        var line = head[..eol];
        if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
        int first = line.IndexOf((byte)' ');
        int second = first < 0 ? -1 : line[(first + 1)..].IndexOf((byte)' ');
        if (second < 0 || line[(first + second + 2)..].Contains((byte)' ')) return ("", "", "the request line is not METHOD TARGET HTTP/1.x");
        var method = line[..first];
        var target = line.Slice(first + 1, second);
        var version = line[(first + second + 2)..];
        if (!version.SequenceEqual("HTTP/1.1"u8) && !version.SequenceEqual("HTTP/1.0"u8)) return ("", "", "only HTTP/1.0 and HTTP/1.1 are spoken");
        if (method.Length is 0 or > 16 || target.Length == 0 || target[0] != '/') return ("", "", "the request line is not METHOD /path HTTP/1.x");
        foreach (byte b in line)
            if (b < 0x21 && b != ' ' || b > 0x7e) return ("", "", "the request line has characters HTTP does not allow");
        int query = target.IndexOf((byte)'?');
        if (query >= 0) target = target[..query];
        return (Encoding.ASCII.GetString(method), Encoding.ASCII.GetString(target), null);
    }

    /// <summary>This server's own families: scrapes, rejections by reason, connections and their bound.</summary>
    public void Write(MetricsWriter w)
    {
        w.Single("vmm_metrics_scrapes_total", MetricType.Counter, "Scrapes of /metrics on metrics-listen, this one included.", Scrapes);
        w.Family("vmm_metrics_http_rejected_total", MetricType.Counter, "Connections to metrics-listen that got no exposition, by reason.");
        for (int i = 0; i < RejectionNames.Length; i++) w.Sample("vmm_metrics_http_rejected_total").Label("reason", RejectionNames[i]).Value(Rejected((MetricsRejection)i));
        w.Single("vmm_metrics_http_connections", MetricType.Gauge, "Connections to metrics-listen being served now.", Connections);
        w.Single("vmm_metrics_http_connections_max", MetricType.Gauge, "The most connections to metrics-listen served at once.", _limits.MaxConnections);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _render.Dispose();
    }
}
