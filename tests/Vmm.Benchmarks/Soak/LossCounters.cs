// The loss rules on the private loopback's INPUT and what they counted (tools/lossy-netns.sh sets up UDP's; part (g)
// adds TCP's). Each protocol has two rules: one without a target that counts every packet, then the random DROP.
using System.Diagnostics;
using Vmm.Benchmarks.RoundTrip;

namespace Vmm.Benchmarks.Soak;

internal static class LossCounters
{
    private static string Iptables => Environment.GetEnvironmentVariable("VMM_LOSS_IPTABLES") ?? "iptables";

    /// <summary>Loses <paramref name="probability"/> of loopback's TCP segments too, as lossy-netns.sh does UDP's.</summary>
    public static void AddTcpLoss(string probability)
    {
        RunIptables("-A", "INPUT", "-i", "lo", "-p", "tcp");
        RunIptables("-A", "INPUT", "-i", "lo", "-p", "tcp", "-m", "statistic", "--mode", "random", "--probability", probability, "-j", "DROP");
    }

    /// <summary>Packets of <paramref name="protocol"/> ("udp" or "tcp") that reached loopback's INPUT, and those dropped.</summary>
    public static (long Packets, long Dropped) Read(string protocol)
    {
        var start = new ProcessStartInfo(Iptables, ["-L", "INPUT", "-v", "-x", "-n"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(start) ?? throw new SetupException($"{Iptables} did not start");
        var rows = p.StandardOutput.ReadToEnd().Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 3 && long.TryParse(f[0], out _)).ToList();
        p.WaitForExit();
        // Columns: pkts bytes [target] prot opt in out source destination; the counting rule has no target. The
        // protocol is a name or, from iptables-nft, its number.
        string number = protocol == "tcp" ? "6" : "17";
        bool Is(string field) => field == protocol || field == number;
        var counted = rows.FirstOrDefault(f => Is(f[2]));
        var dropped = rows.FirstOrDefault(f => f[2] == "DROP" && Is(f[3]));
        if (counted is null || dropped is null) throw new InvalidOperationException($"the {protocol} loss rules are not in place on loopback's INPUT");
        return (long.Parse(counted[0]), long.Parse(dropped[0]));
    }

    private static void RunIptables(params string[] args)
    {
        var start = new ProcessStartInfo(Iptables, args) { UseShellExecute = false, RedirectStandardError = true };
        using var p = Process.Start(start) ?? throw new SetupException($"{Iptables} did not start");
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new SetupException($"{Iptables} {string.Join(' ', args)}: {error.Trim()}");
    }
}
