// The node libvirt's test driver serves to both sides of the round trip: the same running domains, once
// in hostd's own process (test:///PATH) and once inside libvirtd (test+unix:///PATH?socket=...). The test
// driver gives every connection that opens the file a private copy of the node.
using System.Text;

namespace Vmm.Benchmarks.RoundTrip;

internal sealed class TestNode
{
    private TestNode(string path, IReadOnlyList<Guid> domains)
    {
        Path = path;
        Domains = domains;
    }

    /// <summary>The node description, an absolute path (the test driver's URI path).</summary>
    public string Path { get; }

    /// <summary>The uuids of the node's domains, all running when a connection opens the node.</summary>
    public IReadOnlyList<Guid> Domains { get; }

    /// <summary>Writes <c>node.xml</c> into <paramref name="folder"/> with <paramref name="domains"/> running domains.</summary>
    public static TestNode Write(string folder, int domains)
    {
        var uuids = new Guid[domains];
        var xml = new StringBuilder();
        xml.Append("<node>\n");
        xml.Append("  <cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active><mhz>2000</mhz><model>vmm-bench</model></cpu>\n");
        xml.Append("  <memory>16777216</memory>\n");
        for (int i = 0; i < domains; i++)
        {
            uuids[i] = new Guid($"6d6d7600-0000-4000-8000-{i:x12}");
            // A domain of the test driver's node starts running unless the file says otherwise.
            xml.Append($"  <domain type='test'><name>bench-{i:d3}</name><uuid>{uuids[i]}</uuid>")
               .Append("<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>\n");
        }
        xml.Append("</node>\n");
        string path = System.IO.Path.Combine(System.IO.Path.GetFullPath(folder), "node.xml");
        File.WriteAllText(path, xml.ToString());
        return new TestNode(path, uuids);
    }
}
