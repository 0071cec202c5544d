using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Vmm.System.Tests.Systemd;

/// <summary>
/// systemd's side of sd_notify for a daemon under test: a bound Unix datagram socket to pass as NOTIFY_SOCKET,
/// and every message received, in order.
/// </summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly BlockingCollection<string> _messages = [];
    private readonly List<string> _seen = [];
    private readonly Thread _reader;

    public NotifySocket(string path)
    {
        Path = path;
        _socket.Bind(new UnixDomainSocketEndPoint(path));
        _reader = new Thread(Read) { IsBackground = true, Name = "notify-socket" };
        _reader.Start();
    }

    public string Path { get; }

    /// <summary>Every message taken so far by <see cref="WaitFor"/>, in order.</summary>
    public IReadOnlyList<string> Seen { get { lock (_seen) return [.. _seen]; } }

    /// <summary>Takes messages until one satisfies <paramref name="match"/>, for up to 20 s; returns it.</summary>
    public string WaitFor(Func<string, bool> match, string what, Func<string>? logs = null)
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (!_messages.TryTake(out var message, TimeSpan.FromMilliseconds(100))) continue;
            lock (_seen) _seen.Add(message);
            if (match(message)) return message;
        }
        Assert.Fail($"no notify message within 20 s: {what}; got: {string.Join(" | ", Seen)}\n{logs?.Invoke()}");
        return "";
    }

    private void Read()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = _socket.Receive(buffer);
                _messages.Add(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _reader.Join(TimeSpan.FromSeconds(5));
    }
}
