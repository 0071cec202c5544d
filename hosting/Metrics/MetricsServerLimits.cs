// The bounds of the metrics endpoint: what a hostile or broken peer can cost it at most (connections, bytes of a
// request head, time to send it and to take the answer).
namespace Vmm.Hosting.Metrics;

/// <summary>The bounds of a <see cref="MetricsServer"/>.</summary>
public sealed record MetricsServerLimits
{
    /// <summary>Connections served at once; a connection past it is closed at once.</summary>
    public int MaxConnections { get; init; } = 16;

    /// <summary>The most bytes a request head (request line and headers) may take; past it, 431.</summary>
    public int MaxRequestBytes { get; init; } = 8 * 1024;

    /// <summary>How long a connection has to deliver its whole request head.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the peer has to take the whole answer.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
