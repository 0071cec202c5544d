using System.Diagnostics;

namespace Vmm.Packaging.Tests;

/// <summary>Runs a program to its end and keeps what it printed; the repository's paths.</summary>
internal static class Tool
{
    public sealed record Result(int Exit, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {Exit}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    public static string RepoRoot { get; } = FindRoot();

    /// <summary>Where `make build` leaves the AOT binaries the packages are made of.</summary>
    public static string BinDir => Path.Combine(RepoRoot, "out");

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Vmm.sln"))) return d.FullName;
        throw new InvalidOperationException("cannot find the repository root (no Vmm.sln above the test binaries)");
    }

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="args"/>, without the VMM_* variables of the
    /// machine running the tests (they would change what a daemon reports), and with <paramref name="env"/> added.
    /// </summary>
    public static Result Run(string program, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? env = null, int timeoutSeconds = 300)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? RepoRoot,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var name in psi.Environment.Keys.Where(k => k.StartsWith("VMM_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(name);
        foreach (var (name, value) in env ?? new Dictionary<string, string>()) psi.Environment[name] = value;

        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in {timeoutSeconds} s");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static Result Run(string program, params string[] args) => Run(program, (IEnumerable<string>)args);

    /// <summary>Runs a bash script (set -euo pipefail) from the repository's root.</summary>
    public static Result Bash(string script, IReadOnlyDictionary<string, string>? env = null) =>
        Run("bash", ["-c", "set -euo pipefail\n" + script], env: env);

    /// <summary>Like <see cref="Run(string, string[])"/>, but a non-zero exit fails the test with what it printed.</summary>
    public static string Check(string program, params string[] args)
    {
        var r = Run(program, args);
        Assert.True(r.Exit == 0, $"{program} {string.Join(' ', args)}: {r}");
        return r.Stdout;
    }
}
