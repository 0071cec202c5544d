// One vmmctl command, timed, its exit code kept (not thrown), never longer than a deadline.
using System.Diagnostics;
using System.Text.Json;
using Vmm.Benchmarks.Ingest;
using Vmm.Benchmarks.RoundTrip;

namespace Vmm.Benchmarks.Soak;

/// <param name="Exit">vmmctl's exit code; -1 when it was killed at the deadline.</param>
/// <param name="Elapsed">Wall time from start to exit, process start included.</param>
/// <param name="Error">What it printed on stderr.</param>
/// <param name="Output">What it printed on stdout.</param>
internal sealed record VmmctlRun(int Exit, TimeSpan Elapsed, string Error, string Output = "")
{
    public override string ToString() => Exit switch
    {
        0 => $"served in {Elapsed.TotalMilliseconds:#,0} ms",
        -1 => $"not served: vmmctl killed after {Elapsed.TotalSeconds:0.0} s",
        _ => $"not served: vmmctl exit {Exit} after {Elapsed.TotalSeconds:0.0} s ({Error})",
    };
}

internal static class Vmmctl
{
    public static VmmctlRun Run(ControllerProcess controller, TimeSpan deadline, params string[] args)
    {
        var start = new ProcessStartInfo(controller.VmmctlPath) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["--socket", controller.AdminSocket, .. args]) start.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(start) ?? throw new SetupException($"{controller.VmmctlPath} did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(deadline))
        {
            p.Kill();
            p.WaitForExit();
            return new VmmctlRun(-1, clock.Elapsed, "");
        }
        var elapsed = clock.Elapsed;
        return new VmmctlRun(p.ExitCode, elapsed, stderr.Result.Trim(), stdout.Result);
    }

    /// <summary>Waits until the controller shows <paramref name="host"/> up with <paramref name="vms"/> VMs.</summary>
    public static void WaitForHost(ControllerProcess controller, string host, int vms, TimeSpan timeout, Action? meanwhile = null)
    {
        var clock = Stopwatch.StartNew();
        string seen = "not listed";
        while (clock.Elapsed < timeout)
        {
            meanwhile?.Invoke();
            using var list = controller.Vmmctl("host", "list");
            foreach (var h in list.RootElement.GetProperty("hosts").EnumerateArray())
            {
                if (h.GetProperty("name").GetString() != host) continue;
                string state = h.GetProperty("state").GetString() ?? "?";
                var count = h.GetProperty("vm-count");
                seen = $"{state}, {(count.ValueKind == JsonValueKind.Number ? count.GetInt64() : 0)} VMs";
                if (state == "up" && count.ValueKind == JsonValueKind.Number && count.GetInt64() == vms) return;
            }
            Thread.Sleep(200);
        }
        throw new SetupException($"the controller did not show host {host} up with {vms} VMs within {timeout.TotalSeconds:0} s (last: {seen}): {controller.LastOutput()}");
    }
}
