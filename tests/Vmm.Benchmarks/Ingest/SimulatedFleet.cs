// Hosts as hostd reports them, encoded once: every page of every host's complete report, signed, in memory,
// so that a sender costs a stamp and a send per datagram. Each host has a boot id, a name like a real
// hypervisor's, and VMs that each have a disk and a NIC; its report is paged exactly as hostd's
// StatePublisher pages it (records added until the next one does not fit; facts on page 0). A heartbeat
// re-stamps a host's pages in place with the next report number and increasing sequences, and signs them
// again, as hostd does for every datagram it sends.
using System.Buffers.Binary;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Benchmarks.Ingest;

internal sealed class SimulatedFleet
{
    // Offsets in a STATE datagram (spec §3.1 header, then §6.1 body: boot_id, sequence, report, ...).
    private const int SequenceAt = PduHeader.Size + 8;
    private const int ReportAt = SequenceAt + 8;

    private const ulong GiB = 1UL << 30;
    private static readonly string[] Roles = ["web", "api", "db", "cache", "worker", "ci-runner", "build", "mail", "vpn", "search"];

    private readonly byte[][] _datagrams;
    private readonly int[] _firstPage;   // host h's pages are _datagrams[_firstPage[h] .. _firstPage[h + 1])

    /// <param name="hosts">Hosts in the fleet.</param>
    /// <param name="vmsPerHost">VMs on each host.</param>
    /// <param name="key">The cluster master key; each host signs its datagrams with its own key derived from it.</param>
    /// <param name="seed">Seed of the names, uuids, sizes and boot ids, so that runs are comparable.</param>
    public SimulatedFleet(int hosts, int vmsPerHost, ClusterKey key, int seed = 4)
    {
        Hosts = hosts;
        VmsPerHost = vmsPerHost;
        Key = key;
        var rng = new Random(seed);
        var pages = new List<byte[]>(hosts * (vmsPerHost / 12 + 1));
        _firstPage = new int[hosts + 1];
        _hostKeys = new ClusterKey[hosts];
        var scratch = new byte[PduHeader.MaxDatagram];
        for (int h = 0; h < hosts; h++)
        {
            _firstPage[h] = pages.Count;
            _hostKeys[h] = key.DeriveHostKey(HostName(h));
            AddHost(pages, scratch, rng, HostName(h), vmsPerHost, _hostKeys[h]);
        }
        _firstPage[hosts] = pages.Count;
        _datagrams = [.. pages];
        Bytes = _datagrams.Sum(d => (long)d.Length);
    }

    public ClusterKey Key { get; }

    // Each host's own key (spec §3.3), by host index.
    private readonly ClusterKey[] _hostKeys;

    public int Hosts { get; }

    public int VmsPerHost { get; }

    /// <summary>Datagrams in one heartbeat of the whole fleet (every page of every host's report).</summary>
    public int Datagrams => _datagrams.Length;

    /// <summary>Bytes in one heartbeat of the whole fleet.</summary>
    public long Bytes { get; }

    /// <summary>Pages of a host's report (every host has as many VMs; names differ a little in length).</summary>
    public int PagesOf(int host) => _firstPage[host + 1] - _firstPage[host];

    public static string HostName(int host) => $"kvm-{host:d5}.fra1";

    /// <summary>Datagram <paramref name="i"/> as last stamped (a datagram verifies only once its host was stamped).</summary>
    public ReadOnlySpan<byte> Datagram(int i) => _datagrams[i];

    /// <summary>Index of the first page of <paramref name="host"/>.</summary>
    public int FirstPage(int host) => _firstPage[host];

    /// <summary>
    /// Makes host <paramref name="host"/>'s pages those of its heartbeat <paramref name="heartbeat"/> (1, 2, ...):
    /// report number <paramref name="heartbeat"/>, sequences continuing those of the previous heartbeat, signed.
    /// </summary>
    public void Stamp(int host, int heartbeat)
    {
        int first = _firstPage[host], pages = _firstPage[host + 1] - first;
        ulong sequence = (ulong)(heartbeat - 1) * (ulong)pages;
        for (int p = 0; p < pages; p++)
        {
            var d = _datagrams[first + p].AsSpan();
            BinaryPrimitives.WriteUInt64BigEndian(d[SequenceAt..], ++sequence);
            BinaryPrimitives.WriteUInt32BigEndian(d[ReportAt..], (uint)heartbeat);
            _hostKeys[host].Sign(d);
        }
    }

    /// <summary>Stamps every host for heartbeat <paramref name="heartbeat"/>.</summary>
    public void StampAll(int heartbeat)
    {
        for (int h = 0; h < Hosts; h++) Stamp(h, heartbeat);
    }

    // The pages of one host's report, as StatePublisher.SendReport and Paginate write them.
    private static void AddHost(List<byte[]> pages, byte[] scratch, Random rng, string name, int vmCount, ClusterKey hostKey)
    {
        ulong boot = (ulong)rng.NextInt64(1, long.MaxValue);
        var vms = new List<VmState>(vmCount);
        ulong held = 0;
        for (int i = 0; i < vmCount; i++)
        {
            var vm = NewVm(rng);
            if (vm.Power == PowerState.Running) held += vm.MemoryKib;
            vms.Add(vm);
        }
        ulong totalKib = 512 * GiB / 1024;
        var facts = new AttrList()
            .Add(AttrType.Cpus, 64)
            .Add(AttrType.MemoryTotal, totalKib)
            .Add(AttrType.Hypervisor, "QEMU 8.2.2")
            .Add(AttrType.MigrationUri, $"qemu+tcp://{name}/system")
            .Add(AttrType.MemoryFree, totalKib > held ? totalKib - held : 0)
            .Add(AttrType.Port, 7401)
            .Add(AttrType.VmCount, (ulong)vmCount);

        int next = 0, first = pages.Count;
        do
        {
            int page = pages.Count - first;
            // pages is patched below, once the count is known; sequence and report by Stamp.
            var w = new StateWriter(scratch, boot, 1, 1, (ushort)page, 1, HostStatus.None, name, page == 0 ? facts : null);
            int before = next;
            while (next < vms.Count && w.TryAdd(vms[next])) next++;
            if (next == before && next < vms.Count) throw new InvalidOperationException("a simulated VM record does not fit in an empty page");
            pages.Add(scratch.AsSpan(0, w.Finish(hostKey)).ToArray());
        }
        while (next < vms.Count);

        int count = pages.Count - first;
        for (int p = first; p < pages.Count; p++)
            BinaryPrimitives.WriteUInt16BigEndian(pages[p].AsSpan(ReportAt + 6), (ushort)count);
    }

    /// <summary>A VM as libvirt shows a typical one: mostly running, persistent, one owned virtio disk and one virtio NIC.</summary>
    private static VmState NewVm(Random rng)
    {
        var uuidBytes = new byte[16];
        rng.NextBytes(uuidBytes);
        uuidBytes[6] = (byte)((uuidBytes[6] & 0x0F) | 0x40);   // version 4
        uuidBytes[8] = (byte)((uuidBytes[8] & 0x3F) | 0x80);   // RFC 4122 variant
        bool running = rng.Next(10) != 0;
        ushort vcpus = (ushort)(1 << rng.Next(4));
        ulong memoryKib = (ulong)(1 << rng.Next(5)) * GiB / 1024;
        var attrs = new AttrList()
            .Add(new DiskInfo("vda", DiskBus.Virtio, DiskFlags.Owned, (ulong)(10 * (1 + rng.Next(10))) * GiB))
            .Add(new NicInfo(0x5254_0000_0000UL | (ulong)rng.NextInt64(0, 1L << 24), NicModel.Virtio,
                rng.Next(3) == 0 ? NicKind.Bridge : NicKind.Network, rng.Next(3) == 0 ? "br0" : "default"));
        return new VmState
        {
            Uuid = new Guid(uuidBytes, bigEndian: true),
            Power = running ? PowerState.Running : PowerState.Off,
            Reason = 1,   // running/booted, shutoff/shutdown
            Flags = VmFlags.Persistent | (running && rng.Next(4) == 0 ? VmFlags.Autostart : 0),
            Vcpus = vcpus,
            MemoryKib = memoryKib,
            Name = $"{Roles[rng.Next(Roles.Length)]}-{rng.Next(1000):d3}",
            Attributes = attrs,
        };
    }
}
