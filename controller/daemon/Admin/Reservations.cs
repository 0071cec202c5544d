// The creates this controller has in flight: each holds its VM's name and the capacity placement gave it until its
// RESULT, so that two creates of one name cannot both pass the name check, and two creates placed within one
// heartbeat (before the host reports either) cannot both take the same room. Entered by every admin session at
// once; one lock guards both tables.
namespace Vmm.Controller.Admin;

internal sealed class Reservations
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Reservation> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (uint Vcpus, ulong MemoryKib)> _byHost = new(StringComparer.Ordinal);

    /// <summary>Creates in flight now.</summary>
    public int Count
    {
        get { lock (_gate) return _byName.Count; }
    }

    /// <summary>Holds <paramref name="name"/> for a create; null when another create in flight holds it.</summary>
    public Reservation? TryHoldName(string name)
    {
        lock (_gate)
        {
            if (_byName.ContainsKey(name)) return null;
            var r = new Reservation(this, name);
            _byName.Add(name, r);
            return r;
        }
    }

    /// <summary>vCPUs and memory held on <paramref name="host"/> by creates in flight that were placed there.</summary>
    public (uint Vcpus, ulong MemoryKib) HeldOn(string host)
    {
        lock (_gate) return _byHost.GetValueOrDefault(host);
    }

    internal void Place(Reservation r, string host, uint vcpus, ulong memoryKib)
    {
        lock (_gate)
        {
            var (v, m) = _byHost.GetValueOrDefault(host);
            _byHost[host] = (v + vcpus, m + memoryKib);
        }
    }

    internal void Release(Reservation r)
    {
        lock (_gate)
        {
            if (!_byName.Remove(r.Name)) return;
            if (r.Host is not { } host) return;
            var (v, m) = _byHost[host];
            (v, m) = (v - r.Vcpus, m - r.MemoryKib);
            if (v == 0 && m == 0) _byHost.Remove(host);
            else _byHost[host] = (v, m);
        }
    }
}

/// <summary>One create in flight: its name, and once placed, its host and capacity. Disposing releases both.</summary>
internal sealed class Reservation(Reservations owner, string name) : IDisposable
{
    public string Name { get; } = name;

    public string? Host { get; private set; }

    public uint Vcpus { get; private set; }

    public ulong MemoryKib { get; private set; }

    /// <summary>Holds the capacity on the host placement chose (once).</summary>
    public void PlaceOn(string host, uint vcpus, ulong memoryKib)
    {
        if (Host is not null) throw new InvalidOperationException($"create {Name} is placed on {Host} already");
        (Host, Vcpus, MemoryKib) = (host, vcpus, memoryKib);
        owner.Place(this, host, vcpus, memoryKib);
    }

    public void Dispose() => owner.Release(this);
}
