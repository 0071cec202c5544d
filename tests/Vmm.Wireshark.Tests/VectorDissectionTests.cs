// The dissector (spec/wireshark/vmm.lua) against the codec, on every spec vector: each field tshark shows is
// the one the codec decodes, the tag verdict is right, and each negative vector shows the error the spec names.
using Vmm.Protocol;
using Vmm.Protocol.Tests.Vectors;

namespace Vmm.Wireshark.Tests;

public sealed class VectorDissectionTests(VectorCaptures captures) : IClassFixture<VectorCaptures>
{
    public static TheoryData<string> Files() =>
        new(Directory.GetFiles(Path.Combine(Repo.Root, "spec", "vectors"), "*.vec").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal));

    [TsharkTheory]
    [MemberData(nameof(Files))]
    public void Vector_on_the_default_port_is_dissected_as_the_codec_decodes_it(string file)
    {
        var v = captures.All.Single(x => x.Name == file);
        var (d, section) = v.Datagram ? (captures.Udp, captures.Datagrams) : (captures.Tcp, captures.Streams);
        Assert.Empty(d.Bugs);
        // Each vector is found where the sections of the capture say: no PDU more, none fewer.
        Assert.Equal(v.Datagram ? captures.UdpPdus : captures.TcpPdus, d.Pdus.Count);
        var shown = VectorCaptures.Slice(d, section, 0).ByVector[file];
        Check(v, shown);
    }

    [TsharkFact]
    public void Heuristics_find_every_positive_vector_on_other_ports()
    {
        var datagrams = captures.Datagrams.Where(v => !v.IsNegative).ToList();
        int udpFirst = VectorCaptures.Slice(captures.Udp, captures.Datagrams, 0).Next;
        var udp = VectorCaptures.Slice(captures.Udp, datagrams, udpFirst).ByVector;
        foreach (var v in datagrams) Check(v, udp[v.Name]);

        int tcpFirst = VectorCaptures.Slice(captures.Tcp, captures.Streams, 0).Next;
        var tcp = VectorCaptures.Slice(captures.Tcp, captures.PositiveStreams, tcpFirst).ByVector;
        foreach (var v in captures.PositiveStreams) Check(v, tcp[v.Name]);
    }

    [TsharkFact]
    public void A_stream_is_reassembled_across_segments_and_split_where_a_segment_holds_several_pdus()
    {
        var positives = captures.PositiveStreams;
        int next = VectorCaptures.Slice(captures.Tcp, captures.Streams, 0).Next + positives.Count;
        Assert.True(captures.SmallSegments > positives.Count * 3);
        // On 7401, then on another port (the heuristics).
        for (int port = 0; port < 2; port++)
        {
            // 7-byte segments: every PDU is reassembled from several.
            var small = VectorCaptures.Slice(captures.Tcp, positives, next);
            foreach (var v in positives) Check(v, small.ByVector[v.Name]);
            // One segment: every PDU from the same frame.
            var one = VectorCaptures.Slice(captures.Tcp, positives, small.Next);
            foreach (var v in positives) Check(v, one.ByVector[v.Name]);
            Assert.Single(one.ByVector.Values.Select(p => p[0].Frame).Distinct());
            next = one.Next;
        }
        // 150-byte segments.
        var mixed = VectorCaptures.Slice(captures.Tcp, positives, next);
        foreach (var v in positives) Check(v, mixed.ByVector[v.Name]);
    }

    [TsharkFact]
    public void A_key_with_the_right_id_but_other_bytes_makes_every_signed_tag_bad()
    {
        var d = captures.TcpWithWrongKey;
        Assert.Empty(d.Bugs);
        var shown = VectorCaptures.Slice(d, captures.Streams, 0).ByVector;
        foreach (var v in captures.PositiveStreams)
        {
            var pdu = Assert.Single(shown[v.Name]);
            if (v.Key is null)
            {
                Assert.Equal("unsigned", pdu.TagStatus);
                continue;
            }
            Assert.True(pdu.TagStatus == "bad", $"{v.Name}: tag status {pdu.TagStatus} with a wrong key of the same id\n{pdu.Describe()}");
            Assert.Contains("bad-tag", pdu.Faults);
            Assert.Contains(pdu.Experts, e => e.StartsWith("tag: bad", StringComparison.Ordinal));
        }
    }

    /// <summary>What the dissector showed for <paramref name="v"/> agrees with the codec and the vector.</summary>
    private static void Check(Vector v, List<ShownPdu> shown)
    {
        if (v.Error == Vector.NeedMore)
        {
            Assert.True(shown.Count == 0, $"{v.Name}: a stream that must wait for more bytes was dissected:\n{string.Join("\n", shown.Select(p => p.Describe()))}");
            return;
        }
        var pdu = Assert.Single(shown);
        if (v.IsNegative)
        {
            Assert.True(pdu.Faults.Contains(v.Error!), $"{v.Name}: expected the fault {v.Error}\n{pdu.Describe()}\nexperts: {string.Join(" | ", pdu.Experts)}");
            Assert.Contains(pdu.Experts, e => e.StartsWith(v.Error + ":", StringComparison.Ordinal) || e.StartsWith("tag: ", StringComparison.Ordinal));
            return;
        }

        Assert.True(pdu.Faults.Count == 0, $"{v.Name}: a valid PDU shown with faults {string.Join(",", pdu.Faults)}: {string.Join(" | ", pdu.Experts)}");
        string expectedTag = v.Key is null ? "unsigned" : "good";
        Assert.True(pdu.TagStatus == expectedTag, $"{v.Name}: tag status {pdu.TagStatus}, expected {expectedTag}\n{string.Join(" | ", pdu.Experts)}");
        if (v.Key is not null) Assert.Contains(pdu.Experts, e => e.StartsWith("tag: good", StringComparison.Ordinal));

        var decoded = PduCodec.Decode(v.Bytes, v.Datagram ? PduHeader.MaxDatagram : PduHeader.MaxStreamPdu);
        var expected = Expected.Fields(v.Bytes, decoded);
        for (int i = 0; i < Math.Max(expected.Count, pdu.Fields.Count); i++)
        {
            string want = i < expected.Count ? $"{expected[i].Name}={expected[i].Value}" : "(nothing)";
            string got = i < pdu.Fields.Count ? $"{pdu.Fields[i].Name}={pdu.Fields[i].Show}" : "(nothing)";
            bool same = i < expected.Count && i < pdu.Fields.Count && expected[i].Name == pdu.Fields[i].Name && Expected.Same(expected[i].Value, pdu.Fields[i].Show);
            Assert.True(same, $"{v.Name}: field {i}: tshark shows {got}, the codec decodes {want}\n  codec:  {string.Join(" ", expected.Select(f => $"{f.Name}={f.Value}"))}\n  tshark: {pdu.Describe()}");
        }
    }
}
