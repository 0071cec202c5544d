namespace Vmm.Hostd.Internal;

/// <summary>The bounds of hostd's request listener; each is a setting of the same name.</summary>
internal sealed record ConnectionLimits
{
    /// <summary>max-connections: connections at once, over every source.</summary>
    public int MaxConnections { get; init; } = 256;

    /// <summary>max-connections-per-source: connections at once from one IPv4 address or IPv6 /64.</summary>
    public int MaxConnectionsPerSource { get; init; } = 16;

    /// <summary>max-requests-per-connection: requests in flight on one connection; more are answered busy.</summary>
    public int MaxRequestsPerConnection { get; init; } = 64;

    /// <summary>handshake-timeout: how long a new connection has to deliver its first authentic PDU.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>max-queued-ack-bytes: ACK bytes one connection may have waiting before its requests are no longer read.</summary>
    public int MaxQueuedAckBytes { get; init; } = 256 * 1024;
}
