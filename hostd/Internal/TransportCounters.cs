// What hostd's request listener refused or held back, counted apart from what the processor decided: each
// counter has one writer. The STATUS line and the last log line show both (Summary).
namespace Vmm.Hostd.Internal;

/// <summary>Counters of the request listener: connections, framing, authentication and its own bounds.</summary>
internal sealed class TransportCounters
{
    /// <summary>Requests answered busy (max-requests-per-connection) and refused (hostd stopping) before the processor.</summary>
    public long Busy, Refused;

    /// <summary>Authentic REQUESTs whose body does not parse (answered with an error ACK), and stream errors (answered with ERROR, then closed).</summary>
    public long BadPdus, StreamErrors;

    /// <summary>Connections refused at accept (max-connections, max-connections-per-source).</summary>
    public long ConnectionsRefused;

    /// <summary>Connections closed to make room for a newer one: they had sent no authentic PDU.</summary>
    public long ConnectionsEvicted;

    /// <summary>Connections closed because no authentic PDU came within handshake-timeout.</summary>
    public long HandshakeTimeouts;

    /// <summary>Times a connection's requests were left unread because its ACKs were not being read.</summary>
    public long ReadPauses;

    /// <summary>ACK bytes queued and not yet written, over every connection (a gauge).</summary>
    public long QueuedAckBytes;

    /// <summary>The most ACK bytes any one connection has had queued at once.</summary>
    public long QueuedAckBytesPeak;

    /// <summary>The counts of both as the STATUS line and the last log line show them; those that are 0 are left out.</summary>
    public static string Summary(RequestCounters requests, TransportCounters transport)
    {
        var parts = new List<string> { $"{Interlocked.Read(ref requests.Requests)} requests" };
        void Add(long n, string what) { if (n != 0) parts.Add($"{n} {what}"); }
        Add(Interlocked.Read(ref requests.Replayed), "replayed");
        Add(Interlocked.Read(ref requests.Busy) + Interlocked.Read(ref transport.Busy), "busy");
        Add(Interlocked.Read(ref requests.Refused) + Interlocked.Read(ref transport.Refused), "refused");
        Add(Interlocked.Read(ref requests.Replays), "replays refused");
        Add(Interlocked.Read(ref transport.BadPdus), "bad PDUs");
        Add(Interlocked.Read(ref transport.StreamErrors), "stream errors");
        Add(Interlocked.Read(ref transport.ConnectionsRefused), "connections refused");
        Add(Interlocked.Read(ref transport.ConnectionsEvicted), "connections displaced");
        Add(Interlocked.Read(ref transport.HandshakeTimeouts), "handshake timeouts");
        Add(Interlocked.Read(ref transport.ReadPauses), "reads paused");
        return string.Join(", ", parts);
    }
}
