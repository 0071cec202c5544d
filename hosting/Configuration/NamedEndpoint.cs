namespace Vmm.Hosting.Configuration;

/// <summary>A name pinned to an endpoint: <c>name=host[:port]</c> (the controller's static host list).</summary>
public readonly record struct NamedEndpoint(string Name, HostPort Endpoint)
{
    /// <summary><c>name=host:port</c>.</summary>
    public override string ToString() => Name + "=" + Endpoint;
}
