using System.Net;
using System.Net.Sockets;
using System.Text;
using Vmm.Hosting.Configuration;
using Vmm.Hosting.Metrics;

namespace Vmm.Hosting.Tests.Metrics;

/// <summary>The metrics endpoint's HTTP and its bounds: paths, methods, sizes, deadlines and connections.</summary>
public sealed class MetricsServerTests : IAsyncDisposable
{
    private sealed class Source(Action<MetricsWriter> write) : IMetricsSource
    {
        public void Write(MetricsWriter w) => write(w);
    }

    private readonly CancellationTokenSource _stop = new();
    private MetricsServer? _server;
    private Task? _running;

    private MetricsServer Start(MetricsServerLimits? limits = null, Action<MetricsWriter>? write = null)
    {
        _server = new MetricsServer(new IPEndPoint(IPAddress.Loopback, 0),
            [new Source(write ?? (w => w.Single("vmm_test_answer", MetricType.Gauge, "The answer.", 42)))], limits);
        _running = _server.RunAsync(_stop.Token);
        return _server;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null) await _running.WaitAsync(TimeSpan.FromSeconds(10));
        _server?.Dispose();
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_server!.LocalEndPoint);
        return socket;
    }

    /// <summary>Sends <paramref name="request"/> and reads until the server closes; the whole answer as text.</summary>
    private async Task<string> ExchangeAsync(string request)
    {
        using var socket = await ConnectAsync();
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        return await ReadToEndAsync(socket);
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var all = new MemoryStream();
        var buffer = new byte[65536];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0) all.Write(buffer, 0, n);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // A peer that closed on bytes it did not read resets; what came before stands.
        }
        return Encoding.UTF8.GetString(all.ToArray());
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        for (int i = 0; i < 200 && !condition(); i++) await Task.Delay(25);
        Assert.True(condition(), what);
    }

    [Fact]
    public async Task GET_metrics_answers_the_exposition_with_the_text_formats_content_type()
    {
        Start();
        var answer = await ExchangeAsync("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
        var (head, body) = Split(answer);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", head);
        Assert.Contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n", head);
        Assert.Contains($"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n", head);
        Assert.Contains("Connection: close\r\n", head);
        Assert.StartsWith("# HELP vmm_test_answer The answer.\n# TYPE vmm_test_answer gauge\nvmm_test_answer 42\n", body);
        Assert.Contains("vmm_metrics_scrapes_total 1\n", body);
    }

    [Fact]
    public async Task HEAD_gets_the_headers_alone_and_a_query_string_is_ignored()
    {
        Start();
        var (head, body) = Split(await ExchangeAsync("HEAD /metrics HTTP/1.1\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 200 OK", head);
        Assert.Equal("", body);
        Assert.StartsWith("HTTP/1.1 200 OK", await ExchangeAsync("GET /metrics?name[]=x HTTP/1.0\n\n"));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n", "404 Not Found", MetricsRejection.NotFound)]
    [InlineData("GET /metrics/x HTTP/1.1\r\n\r\n", "404 Not Found", MetricsRejection.NotFound)]
    [InlineData("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "405 Method Not Allowed", MetricsRejection.BadMethod)]
    [InlineData("GET /metrics HTTP/2.0\r\n\r\n", "400 Bad Request", MetricsRejection.BadRequest)]
    [InlineData("GET  /metrics HTTP/1.1\r\n\r\n", "400 Bad Request", MetricsRejection.BadRequest)]
    [InlineData("\r\n\r\n", "400 Bad Request", MetricsRejection.BadRequest)]
    [InlineData("GET /met\x01rics HTTP/1.1\r\n\r\n", "400 Bad Request", MetricsRejection.BadRequest)]
    public async Task Wrong_paths_methods_and_request_lines_get_their_status_and_are_counted(string request, string status, MetricsRejection why)
    {
        var server = Start();
        var answer = await ExchangeAsync(request);
        Assert.StartsWith($"HTTP/1.1 {status}\r\n", answer);
        Assert.DoesNotContain("vmm_test_answer", answer);
        Assert.Equal(1, server.Rejected(why));
        Assert.Equal(0, server.Scrapes);
    }

    [Fact]
    public async Task An_oversized_request_head_gets_431_after_the_bound_without_reading_the_rest()
    {
        var server = Start(new MetricsServerLimits { MaxRequestBytes = 1024 });
        using var socket = await ConnectAsync();
        // 1 MB of header lines with no end: the server stops at 1 KiB.
        var line = Encoding.ASCII.GetBytes("X-Filler: " + new string('a', 1000) + "\r\n");
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\n"));
        var sending = Task.Run(async () =>
        {
            try
            {
                for (int i = 0; i < 1000; i++) await socket.SendAsync(line);
            }
            catch (SocketException)
            {
                // The server closed: what the test wants.
            }
        });
        var answer = await ReadToEndAsync(socket);
        Assert.StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n", answer);
        Assert.Equal(1, server.Rejected(MetricsRejection.TooLarge));
        await sending.WaitAsync(TimeSpan.FromSeconds(10));
        await WaitUntil(() => server.Connections == 0, "the connection was let go");
    }

    [Fact]
    public async Task A_slow_client_is_closed_at_the_read_deadline()
    {
        var server = Start(new MetricsServerLimits { ReadTimeout = TimeSpan.FromMilliseconds(300) });
        using var socket = await ConnectAsync();
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nHost: "));
        var started = DateTime.UtcNow;
        var answer = await ReadToEndAsync(socket);   // the server closes without an answer
        Assert.Equal("", answer);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
        Assert.Equal(1, server.Rejected(MetricsRejection.Timeout));
        await WaitUntil(() => server.Connections == 0, "the connection was let go");
    }

    [Fact]
    public async Task A_client_that_does_not_read_its_answer_is_closed_at_the_write_deadline()
    {
        // 32 MB of exposition: more than the socket buffers hold, so the send blocks on a client that never reads.
        var filler = new string('x', 1000);
        var server = Start(new MetricsServerLimits { WriteTimeout = TimeSpan.FromMilliseconds(500) }, w =>
        {
            w.Family("vmm_filler", MetricType.Gauge, "Filler.");
            for (int i = 0; i < 32000; i++) w.Sample("vmm_filler").Label("f", filler).Value(i);
        });
        using var socket = await ConnectAsync();
        socket.ReceiveBufferSize = 4096;
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\n\r\n"));
        await WaitUntil(() => server.Rejected(MetricsRejection.Timeout) == 1, "the answer's write timed out");
        await WaitUntil(() => server.Connections == 0, "the connection was let go");
    }

    [Fact]
    public async Task Connections_past_the_bound_are_closed_at_once_and_scrapes_work_again_when_they_go()
    {
        var server = Start(new MetricsServerLimits { MaxConnections = 2, ReadTimeout = TimeSpan.FromSeconds(30) });
        using var idle1 = await ConnectAsync();
        using var idle2 = await ConnectAsync();
        await WaitUntil(() => server.Connections == 2, "two idle connections held");
        using (var third = await ConnectAsync())
        {
            Assert.Equal("", await ReadToEndAsync(third));
        }
        Assert.Equal(1, server.Rejected(MetricsRejection.ConnectionLimit));
        idle1.Dispose();
        await WaitUntil(() => server.Connections == 1, "the closed connection was let go");
        Assert.StartsWith("HTTP/1.1 200 OK", await ExchangeAsync("GET /metrics HTTP/1.1\r\n\r\n"));
    }

    [Fact]
    public async Task Many_hostile_connections_cost_no_more_than_the_bounds()
    {
        var server = Start(new MetricsServerLimits { MaxConnections = 4, MaxRequestBytes = 512, ReadTimeout = TimeSpan.FromMilliseconds(200) });
        var peers = new List<Socket>();
        for (int i = 0; i < 50; i++)
        {
            var s = await ConnectAsync();
            peers.Add(s);
            try
            {
                await s.SendAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nX: "));
            }
            catch (SocketException)
            {
            }
            Assert.InRange(server.Connections, 0, 4);
        }
        foreach (var s in peers) s.Dispose();
        await WaitUntil(() => server.Connections == 0, "every connection let go");
        Assert.StartsWith("HTTP/1.1 200 OK", await ExchangeAsync("GET /metrics HTTP/1.1\r\n\r\n"));
    }

    [Fact]
    public void Open_is_off_for_an_empty_setting_and_one_line_for_a_port_in_use()
    {
        Assert.Null(MetricsServer.Open(HostPort.None, [], NLog.LogManager.GetLogger("test")));
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        var e = Assert.Throws<ConfigException>(() =>
            MetricsServer.Open(new HostPort("127.0.0.1", port), [], NLog.LogManager.GetLogger("test")));
        Assert.StartsWith($"metrics-listen 127.0.0.1:{port}: ", e.Message);
    }

    private static (string Head, string Body) Split(string answer)
    {
        int end = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, $"no header end in: {answer}");
        return (answer[..(end + 2)], answer[(end + 4)..]);
    }
}
