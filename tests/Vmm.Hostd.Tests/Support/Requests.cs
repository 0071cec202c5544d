// Parameter lists for requests, built the way a controller would send them.
using Vmm.Protocol;

namespace Vmm.Hostd.Tests.Support;

internal static class Requests
{
    public static AttrList Params(params (AttrType Type, ulong Value)[] numbers)
    {
        var list = new AttrList();
        foreach (var (t, v) in numbers) list.Add(t, v);
        return list;
    }

    public static AttrList Add(string name, ushort vcpus = 1, ulong memoryKib = 262144, ushort? maxVcpus = null, ulong? maxMemoryKib = null)
    {
        var p = new AttrList().Add(AttrType.Name, name).Add(AttrType.Vcpus, vcpus).Add(AttrType.Memory, memoryKib);
        if (maxVcpus is ushort mv) p.Add(AttrType.MaxVcpus, mv);
        if (maxMemoryKib is ulong mm) p.Add(AttrType.MaxMemory, mm);
        return p;
    }

    public static AttrList DiskSpec(ulong? size = null, string? target = null, string? baseImage = null)
    {
        var d = new AttrList();
        if (target is not null) d.Add(AttrType.Target, target);
        if (size is ulong s) d.Add(AttrType.Size, s);
        if (baseImage is not null) d.Add(AttrType.BaseImage, baseImage);
        return d;
    }

    public static AttrList NicSpec(string network, ulong? mac = null)
    {
        var n = new AttrList().Add(AttrType.Network, network);
        if (mac is ulong m) n.Add(AttrType.Mac, m);
        return n;
    }
}
