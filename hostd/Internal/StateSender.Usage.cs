// USAGE datagrams (spec §16) go out through the same socket and to the same controllers as STATE, under the same lock,
// from a buffer of their own. A sample is paged by record sizes; every page carries the sample's time.
using Vmm.Protocol;
using Vmm.Protocol.Pdus;

namespace Vmm.Hostd.Internal;

internal sealed partial class StateSender
{
    private readonly byte[] _usage = new byte[PduHeader.MaxDatagram];

    /// <summary>
    /// Sends one usage sample of <paramref name="vms"/>, taken at <paramref name="sampledMs"/> (monotonic ms); returns
    /// the datagrams it took (0 for no VMs). Allocates nothing.
    /// </summary>
    public int SendUsage(List<VmUsageSample> vms, ulong sampledMs, uint intervalMs)
    {
        if (vms.Count == 0) return 0;
        lock (_gate)
        {
            int pages = UsagePages(vms), next = 0;
            for (int page = 0; page < pages; page++)
            {
                var w = new UsageWriter(_usage, bootId, sampledMs, (ushort)page, intervalMs, host);
                while (next < vms.Count && w.TryAdd(vms[next].Uuid, vms[next].Counters)) next++;
                SendUsageDatagram(w.Finish((ushort)pages, keys.Signing));
            }
            return pages;
        }
    }

    // Pages the sample takes, counted from record sizes as the writer fills them (a record always fits an empty page:
    // at most 139 bytes).
    private int UsagePages(List<VmUsageSample> vms)
    {
        int room = PduHeader.MaxDatagram - UsageFixedSize, left = room, pages = 1;
        foreach (var vm in vms)
        {
            int size = UsageWriter.RecordSize(vm.Counters);
            if (size > left)
            {
                pages++;
                left = room;
            }
            left -= size;
        }
        return pages;
    }

    // Header, the fixed fields, the name and the tag.
    private int UsageFixedSize => PduHeader.Size + 8 + 8 + 2 + 2 + 4 + 1 + 1 + System.Text.Encoding.UTF8.GetByteCount(host) + PduHeader.TagSize;

    // Under _gate.
    private void SendUsageDatagram(int length)
    {
        var route = _route;
        for (int i = 0; i < route.Targets.Length; i++)
        {
            try
            {
                route.Socket.SendTo(_usage.AsSpan(0, length), System.Net.Sockets.SocketFlags.None, route.Targets[i]);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                log.Debug("usage to {0} not sent: {1}", route.Controllers[i], e.Message);
            }
        }
    }
}
