// Each domain's XML, parsed once per change. The refresher reads every VM each heartbeat (its safety net for
// the changes libvirt sends no event for), and parsing the XML was nearly all that read allocated: about 20 KB
// a domain, 1 MB a second at 50 VMs, every second of hostd's life. The bytes libvirt returns are compared with
// those parsed last time instead, which allocates nothing while a domain stays as it was.
using System.Text;
using Vmm.Hostd.Libvirt.Xml;

namespace Vmm.Hostd.Libvirt;

/// <summary>The last description parsed for each domain, with the XML it came from. Bounded by the domains on the host:
/// <see cref="Retain"/> after each complete listing, <see cref="Forget"/> for a domain found gone.</summary>
internal sealed class DescriptionCache
{
    private sealed record Entry(byte[] Xml, DomainDescription Description);

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Entry> _entries = [];
    private readonly HashSet<Guid> _present = [];

    /// <summary>Domains held now.</summary>
    public int Count { get { lock (_gate) return _entries.Count; } }

    /// <summary>The description of <paramref name="xml"/> (UTF-8), parsed only when it differs from the XML parsed last for <paramref name="uuid"/>.</summary>
    /// <exception cref="FormatException">the parser's: nothing is kept, so the next read tries (and says) again.</exception>
    public DomainDescription Get(Guid uuid, ReadOnlySpan<byte> xml)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(uuid, out var held) && xml.SequenceEqual(held.Xml)) return held.Description;
        }
        var description = DomainXmlReader.Parse(Encoding.UTF8.GetString(xml));
        lock (_gate) _entries[uuid] = new Entry(xml.ToArray(), description);
        return description;
    }

    public void Forget(Guid uuid)
    {
        lock (_gate) _entries.Remove(uuid);
    }

    /// <summary>Keeps only the domains of a complete listing.</summary>
    public void Retain(IReadOnlyList<Vmm.Protocol.Pdus.VmState> listed)
    {
        lock (_gate)
        {
            _present.Clear();
            for (int i = 0; i < listed.Count; i++) _present.Add(listed[i].Uuid);
            foreach (var uuid in _entries.Keys)
                if (!_present.Contains(uuid)) _entries.Remove(uuid);   // removing while enumerating keys is allowed
        }
    }
}
