using System.Diagnostics;

namespace Vmm.E2E.Harness;

/// <summary>What a short-lived command (vmmctl, virsh) printed and how it exited.</summary>
internal readonly record struct CommandResult(int Code, string Out, string Err)
{
    public override string ToString() => $"exit {Code}: {Out.Trim()} {Err.Trim()}".Trim();
}

internal static class Command
{
    /// <summary>Runs <paramref name="exe"/> to its end (at most <paramref name="timeout"/>, default 2 min).</summary>
    public static CommandResult Run(string exe, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start) ?? throw new E2EException($"could not start {exe}");
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            p.Kill();
            p.WaitForExit();
            throw new E2EException($"{exe} {string.Join(' ', args)} did not finish within {(timeout ?? TimeSpan.FromMinutes(2)).TotalSeconds:0} s");
        }
        p.WaitForExit();
        return new CommandResult(p.ExitCode, output.Result, error.Result);
    }
}
