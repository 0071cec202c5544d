// The dissector on real traffic: a controller and a hostd (the AOT binaries of `make build`, hostd on libvirt's
// test driver) run in a network namespace of their own while dumpcap captures its loopback, and vmmctl creates,
// starts, pauses and resumes a VM. Only the daemons' own traffic is captured: nothing else on this machine's
// loopback is sniffed. The daemons use free ports, not 7400/7401, so the capture is found by the heuristics, which
// tshark is told to try before the dissectors registered on ports: an ephemeral port may be one of those.
using System.Diagnostics;
using Vmm.System.Tests.EndToEnd;
using Vmm.Protocol;

namespace Vmm.Wireshark.Tests;

public sealed class LiveCaptureTests
{
    [CaptureFact]
    public async Task A_capture_of_a_controller_and_a_hostd_shows_state_request_and_ack_with_good_tags()
    {
        string dir = Directory.CreateTempSubdirectory("vmm-capture-").FullName;
        string pcap = Path.Combine(dir, "live.pcapng");
        using var netns = NetworkNamespace.Start();
        string[] inside = ["nsenter", $"--net=/proc/{netns.Pid}/ns/net", "--"];
        Process? dumpcap = null;
        try
        {
            dumpcap = StartDumpcap(inside, pcap);
            await using (var cluster = new Cluster { Launcher = inside })
            {
                cluster.StartController();
                cluster.StartHost("hv1");
                cluster.Eventually(() => cluster.Host("hv1")?.GetProperty("state").GetString() == "up", "hv1 is up");
                foreach (var args in new[] { new[] { "vm", "create", "--name", "web1", "--memory", "128M" }, ["vm", "start", "web1"], ["vm", "pause", "web1"], ["vm", "resume", "web1"] })
                {
                    var (code, _, err) = cluster.Ctl(args);
                    Assert.True(code == 0, $"vmmctl {string.Join(' ', args)}: exit {code}: {err}\n{cluster.Logs()}");
                }
                Thread.Sleep(500);   // a few more STATE datagrams, the last requests' results among them

                Stop(dumpcap);
                string master = cluster.Key.ToHex();
                string hostKey = ClusterKey.Load(cluster.HostKeyPath("hv1")).ToHex();

                // With the master key: STATE checked with hv1's derived key, REQUEST and ACK with the key of the host
                // whose STATE verified earlier in the capture.
                CheckAllGood(Tshark.Dissect(pcap, [.. HeuristicsFirst, .. Tshark.MasterKey(master)]), "the master key");
                // With hv1's own key.
                CheckAllGood(Tshark.Dissect(pcap, [.. HeuristicsFirst, .. Tshark.HostKey(hostKey)]), "hv1's host key");
                // With a key of the same id but other bytes, every tag is bad: the verdict is not always "good".
                var bad = Tshark.Dissect(pcap, [.. HeuristicsFirst, .. Tshark.HostKey(SameIdOtherKey(hostKey))]);
                Assert.Empty(bad.Bugs);
                Assert.NotEmpty(bad.Pdus);
                Assert.All(bad.Pdus, p => Assert.True(p.TagStatus == "bad" && p.Faults.Contains("bad-tag"), $"with a wrong key: {p.Describe()}"));
            }
        }
        finally
        {
            if (dumpcap is { HasExited: false }) dumpcap.Kill();
            dumpcap?.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static readonly string[] HeuristicsFirst = ["-o", "tcp.try_heuristic_first:TRUE", "-o", "udp.try_heuristic_first:TRUE"];

    private static void CheckAllGood(Dissection d, string key)
    {
        Assert.Empty(d.Bugs);
        foreach (var p in d.Pdus)
        {
            Assert.True(p.Faults.Count == 0, $"with {key}: a PDU of the daemons shown with faults: {p.Describe()}\n{string.Join(" | ", p.Experts)}");
            Assert.True(p.TagStatus == "good", $"with {key}: tag {p.TagStatus}: {p.Describe()}\n{string.Join(" | ", p.Experts)}");
        }
        var types = d.Pdus.Select(p => Field(p, "vmm.type")).ToList();
        Assert.True(types.Count(t => t == "0x01") >= 3, $"with {key}: too few STATE PDUs ({types.Count(t => t == "0x01")}) in {d.Frames} frames");
        var requests = d.Pdus.Where(p => Field(p, "vmm.type") == "0x02").Select(p => Field(p, "vmm.request.code")).ToList();
        var acks = d.Pdus.Where(p => Field(p, "vmm.type") == "0x03").Select(p => Field(p, "vmm.ack.code")).ToList();
        // add, start, pause, resume (the controller may send pings besides).
        foreach (var code in new[] { "1", "3", "6", "7" })
            Assert.True(requests.Contains(code), $"with {key}: no REQUEST of code {code} among {string.Join(",", requests)}");
        Assert.True(acks.Count(c => c == "0") >= 4, $"with {key}: ACK codes {string.Join(",", acks)}");
    }

    private static string? Field(ShownPdu p, string name) => p.Fields.FirstOrDefault(f => f.Name == name).Show;

    private static string SameIdOtherKey(string hex)
    {
        byte id = ClusterKey.Parse(hex).Id;
        byte[] other;
        do other = global::System.Security.Cryptography.RandomNumberGenerator.GetBytes(ClusterKey.Length); while (new ClusterKey(other).Id != id);
        return Convert.ToHexStringLower(other);
    }

    /// <summary>dumpcap on the namespace's loopback, once it has written its file's header (it is capturing).</summary>
    private static Process StartDumpcap(string[] inside, string pcap)
    {
        string[] command = [.. inside, Requirements.Which("dumpcap")!, "-q", "-i", "lo", "-f", "tcp or udp", "-w", pcap];
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in command[1..]) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var err = new global::System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) => { lock (err) err.AppendLine(e.Data); };
        p.BeginErrorReadLine();
        var waited = Stopwatch.StartNew();
        while (!(File.Exists(pcap) && new FileInfo(pcap).Length > 0))
        {
            if (p.HasExited) Assert.Fail($"dumpcap exited {p.ExitCode}: {err}");
            if (waited.Elapsed > TimeSpan.FromSeconds(20)) Assert.Fail($"dumpcap wrote no capture file in 20 s: {err}");
            Thread.Sleep(50);
        }
        return p;
    }

    /// <summary>Stops dumpcap as Ctrl-C does, so that it writes out what it holds.</summary>
    private static void Stop(Process dumpcap)
    {
        Process.Start("kill", ["-INT", dumpcap.Id.ToString()])!.WaitForExit();
        if (!dumpcap.WaitForExit(20_000)) Assert.Fail("dumpcap did not stop within 20 s of SIGINT");
    }

    /// <summary>A network namespace held by a sleeping process (killed with its parent), its loopback up.</summary>
    private sealed class NetworkNamespace : IDisposable
    {
        private readonly Process _holder;

        private NetworkNamespace(Process holder) => _holder = holder;

        public int Pid => _holder.Id;

        public static NetworkNamespace Start()
        {
            // setpriv and unshare exec: the holder's pid is the namespace's sleep.
            var psi = new ProcessStartInfo(Requirements.Which("setpriv")!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "--pdeathsig", "KILL", "unshare", "--net", "sh", "-c", "ip link set lo up && echo ready && exec sleep infinity" })
                psi.ArgumentList.Add(a);
            var p = Process.Start(psi)!;
            string? line = p.StandardOutput.ReadLine();
            if (line != "ready") Assert.Fail($"the network namespace was not set up: {p.StandardError.ReadToEnd()}");
            return new NetworkNamespace(p);
        }

        public void Dispose()
        {
            if (!_holder.HasExited) _holder.Kill();
            _holder.WaitForExit();
            _holder.Dispose();
        }
    }
}
