using NLog;
using Vmm.Protocol;

namespace Vmm.Controller.Tests;

/// <summary>An inventory fed through the real ingest path, with a hand-moved clock.</summary>
internal sealed class Fleet
{
    /// <summary>The controller's master key; each simulated host signs with its own key derived from it.</summary>
    public static readonly ClusterKey Key = new(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    public Fleet(InventoryOptions? options = null)
    {
        Inventory = new FleetInventory(options ?? new InventoryOptions(), Clock.Func, LogManager.CreateNullLogger());
        Ingest = new StateIngest(Inventory, new HostKeys(Key), LogManager.CreateNullLogger());
    }

    public TestClock Clock { get; } = new();

    public FleetInventory Inventory { get; }

    public StateIngest Ingest { get; }

    public HostSim Host(string name) => new(name, Key.DeriveHostKey(name));

    public DropReason Send(HostSim host, byte[] datagram) => Ingest.Process(datagram, host.From);

    public void Send(HostSim host, IEnumerable<byte[]> datagrams)
    {
        foreach (var d in datagrams) Assert.Equal(DropReason.None, Send(host, d));
    }

    public void Silence(int intervals) => Clock.Advance(Inventory.Options.HeartbeatInterval * intervals);

    /// <summary>Moves the clock past the controller's warm-up (down-after intervals from its start), before any host
    /// is heard: from then on a lookup miss among complete reports is not-found.</summary>
    public void PastWarmUp() => Silence(Inventory.Options.DownAfter);

    public VmView? Vm(int n) => Inventory.Vms().SingleOrDefault(v => v.Uuid == Vms.Uuid(n));

    public List<Guid> VmIds(string? host = null) => Inventory.Vms(host).Select(v => v.Uuid).Order().ToList();

    public HostView HostView(string name) => Inventory.Host(name) ?? throw new InvalidOperationException($"no host {name}");
}
