using System.Text;
using Vmm.Fuzz.Targets;
using Vmm.Protocol;
using Vmm.Protocol.Text;

namespace Vmm.Fuzz;

/// <summary>
/// Makes the seed corpus, fuzz/corpus/TARGET/: <c>seed-*</c> from <see cref="Examples"/>, <c>vec-*</c> from every
/// <c>text:</c> and <c>hex:</c> of spec/vectors/*.vec; other files there (a minimized corpus) are left alone.
/// Also writes the afl-fuzz dictionaries, fuzz/dict/. Every seed is then run through its target.
/// </summary>
internal static class Seeds
{
    public static int Make(string root)
    {
        var corpus = Path.Combine(root, "fuzz", "corpus");
        var seeds = FuzzTargets.All.Keys.ToDictionary(t => t, _ => new Dictionary<string, byte[]>(StringComparer.Ordinal));
        var frames = new List<byte[]>();

        foreach (var (name, line) in Examples.Lines)
        {
            var pdu = PduText.Parse(line);
            byte[] frame = PduCodec.ToBytes(pdu);
            seeds["text"][$"seed-{name}.txt"] = Encoding.UTF8.GetBytes(line);
            AddBinary(seeds, $"seed-{name}", frame);
            if (pdu.Type.IsAdmin() || pdu.KeyId != 0) continue;
            try
            {
                var signed = PduCodec.ToBytes(pdu, FuzzTargets.DatagramKey, PduHeader.MaxDatagram);
                seeds["datagram"][$"seed-{name}.bin"] = signed;
                frames.Add(signed);
            }
            catch (ProtocolException) { }
        }
        // A stream carries PDUs back to back: a few in one buffer, and a last one cut short.
        seeds["stream"]["seed-several.bin"] = [.. frames.Take(3).SelectMany(f => f), .. frames[^1].AsSpan(0, frames[^1].Length / 2)];

        int vectors = 0;
        var vectorDir = Path.Combine(root, "spec", "vectors");
        if (Directory.Exists(vectorDir))
            foreach (var file in Directory.GetFiles(vectorDir, "*.vec").Order(StringComparer.Ordinal))
                vectors += AddVectors(seeds, file);

        foreach (var (target, files) in seeds)
        {
            var dir = Path.Combine(corpus, target);
            Directory.CreateDirectory(dir);
            foreach (var old in Directory.GetFiles(dir).Where(f => Path.GetFileName(f) is var n && (n.StartsWith("seed-") || n.StartsWith("vec-"))))
                File.Delete(old);
            foreach (var (name, bytes) in files) File.WriteAllBytes(Path.Combine(dir, name), bytes);
            Console.WriteLine($"{target,-9} {files.Count,4} seeds");
        }
        Console.WriteLine(vectors == 0 ? "spec/vectors: no vectors yet (no *.vec with text: or hex: lines)" : $"spec/vectors: {vectors} vectors");
        Dictionaries.Write(Path.Combine(root, "fuzz", "dict"));

        int failed = 0;
        foreach (var (target, files) in seeds)
            failed += Replay.Run(FuzzTargets.All[target], files.Keys.Select(f => Path.Combine(corpus, target, f)), quiet: true);
        return failed == 0 ? 0 : 1;
    }

    /// <summary>A frame seeds the stream target as it is, and the admin target as its type selector and body.</summary>
    private static void AddBinary(Dictionary<string, Dictionary<string, byte[]>> seeds, string name, byte[] frame)
    {
        seeds["stream"][name + ".bin"] = frame;
        if (frame.Length < PduHeader.MinPduSize) return;
        int selector = FuzzTargets.AdminTypes.IndexOf(frame[3]);
        if (selector >= 0) seeds["admin"][name + ".bin"] = [(byte)selector, .. frame.AsSpan(PduHeader.Size, frame.Length - PduHeader.MinPduSize)];
    }

    /// <summary>Reads a vector file: <c>text:</c> and <c>hex:</c> lines; a line starting with white space continues the previous one.</summary>
    private static int AddVectors(Dictionary<string, Dictionary<string, byte[]>> seeds, string file)
    {
        var entries = new List<(string Key, StringBuilder Value)>();
        foreach (var raw in File.ReadAllLines(file))
        {
            if (raw.Length > 0 && char.IsWhiteSpace(raw[0]) && entries.Count > 0) { entries[^1].Value.Append(' ').Append(raw.Trim()); continue; }
            int colon = raw.IndexOf(':');
            if (colon > 0) entries.Add((raw[..colon].Trim(), new StringBuilder(raw[(colon + 1)..].Trim())));
        }
        string stem = Path.GetFileNameWithoutExtension(file);
        int n = 0;
        foreach (var (key, value) in entries)
        {
            string name = $"vec-{stem}-{n:d3}";
            if (key == "text")
            {
                seeds["text"][name + ".txt"] = Encoding.UTF8.GetBytes(value.ToString());
                n++;
            }
            else if (key == "hex")
            {
                var hex = string.Concat(value.ToString().Where(char.IsAsciiHexDigit));
                if (hex.Length % 2 != 0) continue;
                var bytes = Convert.FromHexString(hex);
                AddBinary(seeds, name, bytes);
                if (bytes.Length <= PduHeader.MaxDatagram) seeds["datagram"][name + ".bin"] = bytes;
                n++;
            }
        }
        return n;
    }
}
