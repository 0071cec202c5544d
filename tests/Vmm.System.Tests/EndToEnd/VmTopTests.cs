// vmmctl vm top as an operator sees it (issue 17, usage): in a real terminal, a detached tmux pane of a private tmux
// server (its own socket, killed at the end), against a running cluster of two test-driver hosts that send usage every
// second; the pane is read with capture-pane. And the same figures as one JSON document.
using System.Diagnostics;
using System.Text.Json;

namespace Vmm.System.Tests.EndToEnd;

[Collection("cluster")]
[Trait("Needs", "packages")]
public sealed class VmTopTests
{
    [Fact]
    public async Task Vm_top_draws_the_running_vms_sorted_by_cpu_in_a_terminal_and_restores_it_on_q()
    {
        await using var c = await RunningCluster();
        string socket = Path.Combine(Path.GetTempPath(), $"vmm-top-{Environment.ProcessId}-{Guid.NewGuid():N}.tmux");
        try
        {
            Tmux(socket, "new-session", "-d", "-x", "160", "-y", "30", "-s", "top",
                $"VMM_SOCKET={c.SocketPath} {Cluster.Bin("vmmctl")} vm top --interval 500ms; echo vm-top-exited-$?; sleep 60");
            string screen = "";
            c.Eventually(() => (screen = Tmux(socket, "capture-pane", "-p", "-t", "top")).Contains("sorted by CPU")
                && screen.Contains("top1") && screen.Contains("top2") && Cpu(screen, "top1") is not null, "vm top shows both VMs with a CPU figure");
            Assert.Contains("NAME", screen);
            Assert.Contains("CPU%", screen);
            Assert.Contains("MEM-USED", screen);

            Tmux(socket, "send-keys", "-t", "top", "m");   // sort by memory
            c.Eventually(() => Tmux(socket, "capture-pane", "-p", "-t", "top").Contains("sorted by memory"), "m sorts by memory");
            Tmux(socket, "send-keys", "-t", "top", "q");
            c.Eventually(() => (screen = Tmux(socket, "capture-pane", "-p", "-t", "top")).Contains("vm-top-exited-0"), "q ends vm top with exit 0");
            // The alternate screen is left: what the shell printed before is back, and the table is gone.
            Assert.DoesNotContain("sorted by", screen);
        }
        finally
        {
            try { Tmux(socket, "kill-server"); } catch (InvalidOperationException) { }
            File.Delete(socket);
        }
    }

    [Fact]
    public async Task Vm_top_json_is_one_document_with_usage()
    {
        await using var c = await RunningCluster();
        JsonElement top = default;
        c.Eventually(() =>
        {
            top = c.Json("vm", "top");
            return top.GetProperty("vms").EnumerateArray().Any(v => v.GetProperty("usage").GetProperty("cpu-percent").ValueKind == JsonValueKind.Number);
        }, "vm top --json gives a CPU figure");
        var vms = top.GetProperty("vms").EnumerateArray().ToList();
        Assert.Contains(vms, v => v.GetProperty("name").GetString() == "top1");
        Assert.All(vms, v => Assert.Equal("running", v.GetProperty("power").GetString()));
        var cpus = vms.Select(v => v.GetProperty("usage").GetProperty("cpu-percent")).Where(e => e.ValueKind == JsonValueKind.Number).Select(e => e.GetDouble()).ToList();
        Assert.Equal(cpus.OrderDescending(), cpus);   // sorted by CPU, largest first
        Assert.True(vms[0].GetProperty("usage").GetProperty("cpu-time-ns").GetUInt64() > 0);

        var once = c.Ctl("vm", "top", "--once", "--sort", "net");
        Assert.True(once.Code == 0, once.Err);
        Assert.StartsWith("NAME", once.Out);
        Assert.DoesNotContain("\x1b[", once.Out);   // not a terminal: no escape sequences
        var bad = c.Ctl("vm", "top", "--sort", "fast");
        Assert.Equal(2, bad.Code);
        Assert.Single(bad.Err.Trim().Split('\n'));
    }

    // Two hosts sending usage every second, each running a VM of its own (the node's "test" VM runs too).
    private static async Task<Cluster> RunningCluster()
    {
        var c = new Cluster();
        try
        {
            c.StartController();
            c.StartHost("hv1", extra: ["--usage-interval", "1s"]);
            c.StartHost("hv2", extra: ["--usage-interval", "1s"]);
            c.Eventually(() => c.Hosts().Count(h => h.GetProperty("state").GetString() == "up") == 2, "both hosts are up");
            foreach (var (vm, host) in new[] { ("top1", "hv1"), ("top2", "hv2") })
            {
                var r = c.Ctl("vm", "create", "--name", vm, "--host", host, "--vcpus", "2", "--memory", "128M");
                Assert.True(r.Code == 0, r.Err + c.Logs());
                Assert.Equal(0, c.Ctl("vm", "start", vm).Code);
            }
            c.Eventually(() => c.Host("hv1")?.GetProperty("cpu-percent").ValueKind == JsonValueKind.Number, "host list shows hv1's CPU use");
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    // The CPU% cell of a VM's row, or null while it shows -.
    private static string? Cpu(string screen, string vm)
    {
        var row = screen.Split('\n').FirstOrDefault(l => l.StartsWith(vm + " ", StringComparison.Ordinal));
        var cells = row?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return cells is { Length: > 4 } && cells[4].EndsWith('%') ? cells[4] : null;
    }

    private static string Tmux(string socket, params string[] args)
    {
        var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-S");
        psi.ArgumentList.Add(socket);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "xterm-256color";
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"tmux {string.Join(' ', args)}: exit {p.ExitCode}: {error}");
        return output;
    }
}
