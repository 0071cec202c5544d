// Malformed input never makes the dissector fail: the spec's vectors with bytes changed, cut short or grown, as
// UDP datagrams and as TCP streams. Each datagram is also decoded by the codec: the dissector reports a fault
// exactly when the codec refuses the bytes (tags aside: no key is given, so no tag is checked).
using Vmm.Protocol;
using Vmm.Protocol.Tests.Vectors;

namespace Vmm.Wireshark.Tests;

public sealed class MalformedInputTests
{
    private static readonly string[] TagFaults = ["unsigned", "wrong-key", "bad-tag"];

    [TsharkFact]
    public void Changed_vectors_are_shown_with_a_fault_exactly_when_the_codec_refuses_them_and_never_break_the_dissector()
    {
        var random = new Random(17);
        string dir = Path.Combine(Repo.Root, "spec", "vectors");
        var vectors = Directory.GetFiles(dir, "*.vec").Order(StringComparer.Ordinal).Select(f => Vector.Parse(Path.GetFileName(f), File.ReadAllText(f))).ToList();
        var datagrams = new List<byte[]>();
        foreach (var v in vectors.Where(v => v.Bytes.Length <= PduHeader.MaxDatagram))
            for (int i = 0; i < 12; i++) datagrams.Add(Mutate(v.Bytes, random));

        var pcap = new Pcap();
        foreach (var d in datagrams) pcap.Udp(40000, VectorCaptures.UdpPort, d);
        for (int i = 0; i < vectors.Count; i++)
            pcap.Tcp(42000 + i, VectorCaptures.TcpPort, [.. Mutate(vectors[i].Bytes, random), .. vectors[(i + 1) % vectors.Count].Bytes], segment: 1 + random.Next(40));
        // A stream that is not Vmm at all, shorter than a header: its magic is enough to say so (§3.4).
        pcap.Tcp(45000, VectorCaptures.TcpPort, "hello"u8);
        string path = Path.Combine(Path.GetTempPath(), $"vmm-malformed-{Environment.ProcessId}.pcap");
        pcap.Save(path);
        try
        {
            var d = Tshark.Dissect(path);
            Assert.Empty(d.Bugs);
            Assert.Equal(["bad-magic"], d.Pdus[^1].Faults);
            // One PDU shown per datagram (a datagram never holds more, and a broken one is shown too).
            var udp = d.Pdus.Take(datagrams.Count).ToList();
            Assert.All(udp, p => Assert.True(p.Frame <= datagrams.Count, $"a datagram shown as no Vmm PDU before frame {p.Frame}"));
            for (int i = 0; i < datagrams.Count; i++)
            {
                string? refused = null;
                try { PduCodec.Decode(datagrams[i], PduHeader.MaxDatagram); }
                catch (ProtocolException e) { refused = e.Code.Name(); }
                var faults = udp[i].Faults.Except(TagFaults).ToList();
                string bytes = Convert.ToHexStringLower(datagrams[i]);
                if (refused is null) Assert.True(faults.Count == 0, $"the codec decodes {bytes}, the dissector shows faults {string.Join(",", faults)}: {string.Join(" | ", udp[i].Experts)}");
                else Assert.True(faults.Count > 0, $"the codec refuses {bytes} ({refused}), the dissector shows no fault: {udp[i].Describe()}");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A copy of <paramref name="pdu"/> with a few bytes changed, or cut short, or grown by a few bytes.</summary>
    private static byte[] Mutate(byte[] pdu, Random random)
    {
        var b = (byte[])pdu.Clone();
        switch (random.Next(4))
        {
            case 0:
                return b[..random.Next(1, b.Length)];   // never empty: UDP hands no empty payload on
            case 1:
                return [.. b, .. Enumerable.Range(0, 1 + random.Next(4)).Select(_ => (byte)random.Next(256))];
            default:
                // Mostly the body: a changed header is refused before anything else is looked at.
                for (int n = 1 + random.Next(3); n > 0; n--)
                {
                    int at = random.Next(10) == 0 ? random.Next(b.Length) : 10 + random.Next(Math.Max(1, b.Length - 26));
                    if (at < b.Length) b[at] = random.Next(3) == 0 ? (byte)random.Next(256) : (byte)(b[at] ^ (1 << random.Next(8)));
                }
                return b;
        }
    }
}
