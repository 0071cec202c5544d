using NLog;
using Vmm.Hosting.Configuration.Kinds;

namespace Vmm.Hosting.Configuration;

/// <summary>The kinds of value a setting can have.</summary>
public static class ConfigKinds
{
    /// <summary>Free text without control characters.</summary>
    public static ConfigKind<string> Text(bool allowEmpty = false) => new TextKind(allowEmpty);

    /// <summary>A <c>scheme://...</c> URI; with <paramref name="allowEmpty"/>, empty means "not set".</summary>
    public static ConfigKind<string> Uri(bool allowEmpty = false) => new UriTextKind(allowEmpty);

    /// <summary>A protocol name (spec §3.3); with <paramref name="allowEmpty"/>, empty means "not set".</summary>
    public static ConfigKind<string> Name(bool allowEmpty = false) => new NameKind(allowEmpty);

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static ConfigKind<int> Int(int min, int max) => new IntKind(min, max);

    /// <summary>A <see cref="Durations"/> duration from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static ConfigKind<TimeSpan> Duration(TimeSpan min, TimeSpan max) => new DurationKind(min, max);

    /// <summary>A switch.</summary>
    public static ConfigKind<bool> Bool() => new BoolKind();

    /// <summary>A path, made absolute against the working directory.</summary>
    public static ConfigKind<string> Path(bool allowEmpty = false) => new PathKind(allowEmpty);

    /// <summary>error, warn, info, debug or trace.</summary>
    public static ConfigKind<LogLevel> LogLevel() => new LogLevelKind();

    /// <summary>An address to listen on: an IP address and a port (0 = any free port).</summary>
    public static ConfigKind<HostPort> ListenEndpoint(int defaultPort) => new EndpointKind(defaultPort, listen: true);

    /// <summary>An address to listen on, as <see cref="ListenEndpoint"/>, or empty for a listener that is off
    /// (<see cref="HostPort.None"/>).</summary>
    public static ConfigKind<HostPort> OptionalListenEndpoint(int defaultPort) => new EndpointKind(defaultPort, listen: true, allowEmpty: true);

    /// <summary>A peer: an IP address or host name, and a port.</summary>
    public static ConfigKind<HostPort> Endpoint(int defaultPort) => new EndpointKind(defaultPort, listen: false);

    /// <summary>Peers, each an IP address or host name and a port.</summary>
    public static ConfigKind<IReadOnlyList<HostPort>> EndpointList(int defaultPort) =>
        new ListKind<HostPort>(new EndpointKind(defaultPort, listen: false));

    /// <summary>File system paths, each made absolute as <see cref="Path"/> does; a path may appear once.</summary>
    public static ConfigKind<IReadOnlyList<string>> PathList() => new ListKind<string>(new PathKind());

    /// <summary><c>name=host[:port]</c> pins; a name may appear once.</summary>
    public static ConfigKind<IReadOnlyList<NamedEndpoint>> NamedEndpointList(int defaultPort) =>
        new ListKind<NamedEndpoint>(new NamedEndpointKind(defaultPort), identity: p => p.Name);
}
