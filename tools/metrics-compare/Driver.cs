// The workload every variant of the comparison runs (tools/metrics-compare/run.sh): the same families (a counter
// of 1,000 series with two labels, a histogram of 18 series, a gauge), served on loopback; then 100 scrapes over
// raw HTTP from this process, and one line of figures: exposition bytes, bytes allocated a scrape (the whole
// process, server threads included), milliseconds a scrape, resident memory after.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

internal static class Driver
{
    public const int Series = 1000, Codes = 18, Scrapes = 100;

    public static readonly string[] Hosts = [.. Enumerable.Range(0, Series / 4).Select(i => $"kvm-{i:d5}.fra1")];
    public static readonly string[] Powers = ["running", "paused", "off", "crashed"];
    public static readonly string[] CodeNames = [.. Enumerable.Range(0, Codes).Select(i => $"code-{i}")];

    public static int Port { get; } = FreePort();

    public static void Measure(string variant)
    {
        for (int i = 0; i < 10; i++) Scrape();
        GC.Collect();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        int bytes = 0;
        for (int i = 0; i < Scrapes; i++) bytes = Scrape();
        double ms = clock.Elapsed.TotalMilliseconds / Scrapes;
        long perScrape = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / Scrapes;
        Console.WriteLine($"{variant}\t{bytes}\t{perScrape}\t{ms:0.00}\t{Environment.WorkingSet / 1024}");
    }

    private static readonly byte[] Buffer = new byte[1 << 20];
    private static readonly byte[] Request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"u8.ToArray();

    private static int Scrape()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Connect(IPAddress.Loopback, Port);
        s.Send(Request);
        int total = 0, n;
        while ((n = s.Receive(Buffer, total % Buffer.Length, Buffer.Length - total % Buffer.Length, SocketFlags.None)) > 0) total += n;
        if (total < 16 || Buffer[9] != (byte)'2') throw new InvalidOperationException("scrape failed: " + System.Text.Encoding.ASCII.GetString(Buffer, 0, Math.Min(total, 200)));
        return total;
    }

    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}
