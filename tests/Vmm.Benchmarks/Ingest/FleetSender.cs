// The simulated hosts' side of the wire: one UDP socket connected to the receiver, on the calling thread.
// Blast sends one heartbeat of the whole fleet as fast as the socket takes it (the rate comparison);
// Paced sends heartbeats at the hosts' interval, each host at its own phase of the interval with its pages
// back to back, stamping and signing each host's pages just before they go out, as hostd does.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Vmm.Benchmarks.Ingest;

/// <summary>What a paced run achieved.</summary>
/// <param name="Sent">Datagrams sent.</param>
/// <param name="Elapsed">From the first heartbeat's start to the last datagram sent.</param>
/// <param name="MaxLagMs">How far behind its schedule the sender fell at worst.</param>
internal sealed record PacedRun(long Sent, TimeSpan Elapsed, double MaxLagMs);

internal sealed class FleetSender : IDisposable
{
    private readonly Socket _socket;

    public FleetSender(IPEndPoint target)
    {
        _socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Connect(target);
    }

    /// <summary>Sends every datagram of <paramref name="fleet"/> once, as stamped, host after host.</summary>
    public long Blast(SimulatedFleet fleet)
    {
        long sent = 0;
        for (int i = 0; i < fleet.Datagrams; i++)
            if (TrySend(fleet.Datagram(i))) sent++;
        return sent;
    }

    /// <summary>
    /// Sends heartbeats 1..<paramref name="heartbeats"/>, one each <paramref name="interval"/>: host h's report
    /// goes out h/hosts of an interval after its heartbeat's start. A sender that fell behind catches up as fast
    /// as it can. <paramref name="atHeartbeat"/> gets each heartbeat's number and the datagrams sent so far as
    /// the heartbeat starts, and heartbeats + 1 once the last has been sent.
    /// </summary>
    public PacedRun Paced(SimulatedFleet fleet, int heartbeats, TimeSpan interval, Action<int, long>? atHeartbeat = null)
    {
        long sent = 0;
        double maxLag = 0;
        long start = Stopwatch.GetTimestamp();
        double intervalTicks = interval.TotalSeconds * Stopwatch.Frequency;
        for (int k = 0; k < heartbeats; k++)
        {
            atHeartbeat?.Invoke(k + 1, sent);
            for (int h = 0; h < fleet.Hosts; h++)
            {
                long due = start + (long)((k + (double)h / fleet.Hosts) * intervalTicks);
                long now = WaitUntil(due);
                maxLag = Math.Max(maxLag, (now - due) * 1000.0 / Stopwatch.Frequency);
                sent += SendHost(fleet, h, k + 1);
            }
        }
        var elapsed = Stopwatch.GetElapsedTime(start);
        atHeartbeat?.Invoke(heartbeats + 1, sent);
        return new PacedRun(sent, elapsed, maxLag);
    }

    /// <summary>Stamps host <paramref name="host"/>'s pages for <paramref name="heartbeat"/> and sends them back to back; returns how many went out.</summary>
    public int SendHost(SimulatedFleet fleet, int host, int heartbeat)
    {
        fleet.Stamp(host, heartbeat);
        int first = fleet.FirstPage(host), pages = fleet.PagesOf(host), sent = 0;
        for (int p = 0; p < pages; p++)
            if (TrySend(fleet.Datagram(first + p))) sent++;
        return sent;
    }

    // Sleeps while more than a couple of milliseconds early (a sleep may overshoot by about one), then spins.
    private static long WaitUntil(long due)
    {
        long now;
        while ((now = Stopwatch.GetTimestamp()) < due)
        {
            if (due - now > 2 * Stopwatch.Frequency / 1000) Thread.Sleep(1);
            else Thread.SpinWait(20);
        }
        return now;
    }

    /// <summary>Sends one datagram; false when the kernel refused it for now (its buffer full).</summary>
    public bool TrySend(ReadOnlySpan<byte> datagram)
    {
        try
        {
            _socket.Send(datagram);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.NoBufferSpaceAvailable)
        {
            return false; // an ICMP "port unreachable" for an earlier datagram (receiver not up yet), or a full queue
        }
    }

    public void Dispose() => _socket.Dispose();
}
