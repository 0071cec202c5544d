// Runs tshark with the dissector of spec/wireshark/vmm.lua and reads what it made of each Vmm PDU (PDML, which
// keeps every field in tree order). tshark runs with a private HOME and configuration folder, so neither a
// developer's Wireshark preferences nor a copy of vmm.lua in their personal plugins folder changes the result,
// and the script is given on the command line (-X lua_script:), which Debian 12's tshark runs also as root
// (its init.lua sets run_user_scripts_when_superuser = true; CI runs the tests as root).
using System.Diagnostics;
using System.Xml.Linq;

namespace Vmm.Wireshark.Tests;

/// <summary>One Vmm PDU as the dissector showed it: its fields (name, shown value) in tree order, the faults
/// (vmm.fault) it reported, its tag status, and the messages of its expert infos.</summary>
public sealed record ShownPdu(int Frame, List<(string Name, string Show)> Fields, List<string> Faults, string? TagStatus, List<string> Experts)
{
    public string Describe() => $"frame {Frame}: {string.Join(" ", Fields.Select(f => $"{f.Name}={f.Show}"))} faults=[{string.Join(",", Faults)}] tag={TagStatus}";
}

/// <summary>A capture as dissected: the Vmm PDUs in order, and every sign of a dissector error (a Lua error, or a
/// Wireshark exception inside the dissector), which a test never accepts.</summary>
public sealed record Dissection(List<ShownPdu> Pdus, List<string> Bugs, int Frames);

internal static class Tshark
{
    /// <summary>The tshark on PATH, or null.</summary>
    public static string? Find() => Requirements.Which("tshark");

    public static string Script => Path.Combine(Repo.Root, "spec", "wireshark", "vmm.lua");

    /// <summary>Preferences that give the dissector a key: a host key, or the master.</summary>
    public static string[] HostKey(string hex) => ["-o", $"vmm.key:{hex}", "-o", "vmm.key_kind:host"];
    public static string[] MasterKey(string hex) => ["-o", $"vmm.key:{hex}", "-o", "vmm.key_kind:master"];

    /// <summary>Dissects <paramref name="pcap"/>; <paramref name="options"/> are more tshark arguments (-o prefs).</summary>
    public static Dissection Dissect(string pcap, params string[] options)
    {
        string tshark = Find() ?? throw new InvalidOperationException("tshark is not installed (make test installs it: Debian package tshark)");
        var home = Directory.CreateTempSubdirectory("vmm-tshark-");
        try
        {
            var psi = new ProcessStartInfo(tshark) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var v in new[] { "HOME", "XDG_CONFIG_HOME", "WIRESHARK_CONFIG_DIR" }) psi.Environment[v] = home.FullName;
            foreach (var a in (string[])["-n", "-X", $"lua_script:{Script}", "-r", pcap, "-T", "pdml", .. options]) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEndAsync();
            var error = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(120_000)) { p.Kill(); throw new TimeoutException($"tshark on {pcap} did not finish in 120 s"); }
            string err = error.Result;
            // A script that fails to load (a syntax error, a bad field) is reported on stderr, and tshark goes on without it.
            Assert.False(err.Contains("Lua", StringComparison.Ordinal), $"tshark reported a Lua problem:\n{err}");
            Assert.True(p.ExitCode == 0, $"tshark exited {p.ExitCode}:\n{err}");
            return Parse(output.Result);
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    private static Dissection Parse(string pdml)
    {
        var doc = XDocument.Parse(pdml);
        var pdus = new List<ShownPdu>();
        var bugs = new List<string>();
        int frames = 0;
        foreach (var packet in doc.Root!.Elements("packet"))
        {
            frames++;
            foreach (var f in packet.Descendants("field"))
            {
                string name = (string?)f.Attribute("name") ?? "";
                if (name is "_ws.lua.error" or "_ws.malformed" || name == "vmm.dissector_bug")
                    bugs.Add($"frame {frames}: {name}: {(string?)f.Attribute("showname") ?? (string?)f.Attribute("show")}");
            }
            foreach (var proto in packet.Elements("proto").Where(e => (string?)e.Attribute("name") == "vmm"))
            {
                var fields = new List<(string, string)>();
                var faults = new List<string>();
                var experts = new List<string>();
                string? tag = null;
                foreach (var f in proto.Descendants("field"))
                {
                    string name = (string?)f.Attribute("name") ?? "";
                    string show = (string?)f.Attribute("show") ?? "";
                    if (name == "vmm.fault") faults.Add(show);
                    else if (name == "vmm.tag.status") tag = show;
                    else if (name == "_ws.expert.message") experts.Add(show);
                    else if (name.StartsWith("vmm.", StringComparison.Ordinal) && !NotCompared.Contains(name)) fields.Add((name, show));
                }
                pdus.Add(new ShownPdu(frames, fields, faults, tag, experts));
            }
        }
        return new Dissection(pdus, bugs, frames);
    }

    /// <summary>Subtrees and expert infos: what they hold is compared, not they themselves.</summary>
    private static readonly HashSet<string> NotCompared =
    [
        "vmm.attrs", "vmm.attr", "vmm.facts", "vmm.vm", "vmm.usage.vm", "vmm.tag.host", "vmm.tag.expected",
        "vmm.malformed", "vmm.tag.good", "vmm.tag.bad", "vmm.tag.unverified", "vmm.unexpected",
    ];
}
