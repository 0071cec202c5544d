// The spec's vectors (spec/vectors, §13) put into pcap files and dissected by tshark once for all the tests of
// VectorDissectionTests: datagram vectors as UDP to the controller's port 7400, checked with the master key (as a
// controller checks them: with the key of the host each STATE names); stream vectors as TCP to hostd's port 7401,
// each on a connection of its own, checked with the host key they are signed with. The positive vectors again on
// other ports (found by the heuristics), and the positive stream vectors as one TCP stream, in 7-byte segments and
// in one segment (reassembly), on the default port and on another.
using System.Security.Cryptography;
using Vmm.Protocol;
using Vmm.Protocol.Tests.Vectors;

namespace Vmm.Wireshark.Tests;

public sealed class VectorCaptures : IDisposable
{
    public const int UdpPort = 7400, TcpPort = 7401, OtherUdpPort = 17400, OtherTcpPort = 17401;

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vmm-wireshark-");

    public VectorCaptures()
    {
        string dir = Path.Combine(Repo.Root, "spec", "vectors");
        All = Directory.GetFiles(dir, "*.vec").Order(StringComparer.Ordinal)
            .Select(f => Vector.Parse(Path.GetFileName(f), File.ReadAllText(f))).ToList();
        Datagrams = All.Where(v => v.Datagram).ToList();
        Streams = All.Where(v => !v.Datagram).ToList();
        PositiveStreams = Streams.Where(v => !v.IsNegative).ToList();
        string master = Datagrams.Select(v => v.Master).Distinct().Single()!;
        HostKey = Streams.Select(v => v.Key).Where(k => k is not null).Distinct().Single()!;

        var udp = new Pcap();
        for (int i = 0; i < Datagrams.Count; i++) udp.Udp(40000 + i, UdpPort, Datagrams[i].Bytes);
        foreach (var v in Datagrams.Where(v => !v.IsNegative)) udp.Udp(41000, OtherUdpPort, v.Bytes);
        UdpPcap = Save(udp, "udp.pcap");

        var tcp = new Pcap();
        for (int i = 0; i < Streams.Count; i++) tcp.Tcp(42000 + i, TcpPort, Streams[i].Bytes);
        for (int i = 0; i < PositiveStreams.Count; i++) tcp.Tcp(43000 + i, OtherTcpPort, PositiveStreams[i].Bytes);
        byte[] joined = PositiveStreams.SelectMany(v => v.Bytes).ToArray();
        int before = tcp.Count;
        tcp.Tcp(44000, TcpPort, joined, segment: 7);
        SmallSegments = tcp.Count - before;
        tcp.Tcp(44001, TcpPort, joined);
        // The same on another port: the heuristic takes a stream whose first segment ends inside the header.
        tcp.Tcp(44002, OtherTcpPort, joined, segment: 7);
        tcp.Tcp(44003, OtherTcpPort, joined);
        // 150-byte segments: many end one PDU and hold another whole one, each shown with its own tag verdict.
        tcp.Tcp(44004, TcpPort, joined, segment: 150);
        TcpPcap = Save(tcp, "tcp.pcap");

        Udp = Tshark.Dissect(UdpPcap, Tshark.MasterKey(master));
        Tcp = Tshark.Dissect(TcpPcap, Tshark.HostKey(HostKey));
        // A key that is not the host's but has its key id: every tag must then read "bad" (not "wrong-key").
        var real = ClusterKey.Parse(HostKey);
        byte[] other;
        do other = RandomNumberGenerator.GetBytes(ClusterKey.Length); while (new ClusterKey(other).Id != real.Id);
        TcpWithWrongKey = Tshark.Dissect(TcpPcap, Tshark.HostKey(Convert.ToHexStringLower(other)));
    }

    public List<Vector> All { get; }
    public List<Vector> Datagrams { get; }
    public List<Vector> Streams { get; }
    public List<Vector> PositiveStreams { get; }
    public string HostKey { get; }
    public string UdpPcap { get; }
    public string TcpPcap { get; }
    /// <summary>Packets of the stream cut into 7-byte segments.</summary>
    public int SmallSegments { get; }
    public Dissection Udp { get; }
    public Dissection Tcp { get; }
    public Dissection TcpWithWrongKey { get; }

    /// <summary>PDUs the UDP capture holds: each datagram vector on 7400, then the positive ones on another port.</summary>
    public int UdpPdus => Datagrams.Sum(PdusOf) + Datagrams.Count(v => !v.IsNegative);

    /// <summary>PDUs the TCP capture holds: each stream vector on 7401, then the positive ones on another port, then
    /// all of them as one stream in 7-byte segments and in one segment, on 7401 and on another port, and in 150-byte
    /// segments.</summary>
    public int TcpPdus => Streams.Sum(PdusOf) + 6 * PositiveStreams.Count;

    /// <summary>PDUs tshark shows for one vector on its own: none for a stream that must wait for more bytes.</summary>
    public static int PdusOf(Vector v) => v.Error == Vector.NeedMore ? 0 : 1;

    /// <summary>The PDUs shown for each vector of a section that starts at <paramref name="first"/>; returns them
    /// with the index where the next section starts.</summary>
    public static (Dictionary<string, List<ShownPdu>> ByVector, int Next) Slice(Dissection d, IEnumerable<Vector> vectors, int first)
    {
        var map = new Dictionary<string, List<ShownPdu>>();
        int at = first;
        foreach (var v in vectors)
        {
            int n = PdusOf(v);
            map[v.Name] = d.Pdus.Skip(at).Take(n).ToList();
            at += n;
        }
        return (map, at);
    }

    private string Save(Pcap pcap, string name)
    {
        string path = Path.Combine(_dir.FullName, name);
        pcap.Save(path);
        return path;
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
