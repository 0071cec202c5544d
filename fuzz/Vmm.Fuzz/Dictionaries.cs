using System.Text;
using Vmm.Protocol;
using Vmm.Protocol.Text;

namespace Vmm.Fuzz;

/// <summary>
/// afl-fuzz dictionaries (fuzz/dict/): the text form's words, taken from the codec's own registries so they never
/// drift, and the bytes that start every PDU.
/// </summary>
internal static class Dictionaries
{
    public static void Write(string dir)
    {
        Directory.CreateDirectory(dir);
        var words = new SortedSet<string>(StringComparer.Ordinal)
        {
            "state", "request", "ack", "error", "query", "submit", "host", "vm",
            "host=", "boot=", "seq=", "report=", "pages=", "page=", "status=", "vm={", "uuid=", "name=", "power=", "reason=",
            "flags=", "vcpus=", "memory=", "id=", "code=", "what=", "tag=", "target=", "bus=", "size=", "mac=", "model=",
            "kind=", "source=", "={", "}", "\"", "\\x", "\\\"", "!", "0x", ",", "none",
            "0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20", "52:54:00:12:34:56", "5a:000102030405060708090a0b0c0d0e0f",
        };
        foreach (var def in AttrRegistry.All) words.Add(def.Name + "=");
        for (int v = 0; v < 32; v++)
        {
            byte b = (byte)v;
            words.UnionWith([Names.Of((RequestCode)b), Names.Of((AckCode)b), Names.Of((PowerState)b), Names.Of((DiskBus)b),
                Names.Of((NicModel)b), Names.Of((NicKind)b), Names.Of((QueryKind)b), Names.Of((HostState)b),
                Names.Of((VmFlags)b), Names.Of((HostStatus)b), Names.Of((DiskFlags)b), ((ProtocolErrorCode)b).Name()]);
            for (int p = 0; p < 8; p++) words.Add(Names.Reason((PowerState)p, b));
        }
        words.RemoveWhere(w => w.Length < 2 || w.All(char.IsAsciiDigit));
        File.WriteAllLines(Path.Combine(dir, "text.dict"), words.Select((w, i) => $"w{i}=\"{Escape(w)}\""));
        File.WriteAllLines(Path.Combine(dir, "binary.dict"),
        [
            "magic_v1=\"\\x56\\x4d\\x01\"",
            "length_min=\"\\x00\\x00\\x00\\x1a\"",
            "length_max_datagram=\"\\x00\\x00\\x04\\xb0\"",
            "length_max_stream=\"\\x00\\x01\\x00\\x00\"",
            "uuid_zero=\"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\"",
        ]);
    }

    private static string Escape(string w)
    {
        var sb = new StringBuilder();
        foreach (char c in w)
            sb.Append(c is '"' or '\\' || c < 0x20 || c > 0x7e ? $"\\x{(int)c:x2}" : c);
        return sb.ToString();
    }
}
