// The networks a request's NICs name, checked before anything is created: libvirt defines a VM (and attaches a NIC
// to one that is off) on a network the host does not have, and fails only when the VM starts.
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;

namespace Vmm.Hostd.Libvirt;

internal sealed partial class LibvirtHypervisor
{
    /// <summary>
    /// Throws not-found, naming the network and the host's networks, for the first NIC whose network the host does not
    /// have. A bridge is not checked: libvirt has no lookup for one without its interface driver, which a Vmm host
    /// need not run, and the bridge lives on the machine libvirt runs on, which need not be hostd's.
    /// </summary>
    private static void CheckNetworks(LibvirtSession s, IEnumerable<NicDevice> nics)
    {
        foreach (var nic in nics)
        {
            if (nic.Kind != NicKind.Network) continue;
            using var network = LibvirtApi.LookupNetwork(s.Connection, nic.Source);
            if (network is not null) continue;
            var known = LibvirtApi.ListNetworkNames(s.Connection);
            string has = known.Count == 0 ? "it has none" : $"it has {string.Join(", ", known.Order(StringComparer.Ordinal))}";
            throw new HypervisorException(AckCode.NotFound, ErrorNumber.NoNetwork, $"nic-spec: network {nic.Source} not found on this host ({has})");
        }
    }
}
