using System.Diagnostics;
using System.Text;
using Vmm.Protocol.Tests.Vectors;

namespace Vmm.Ctl.Tests;

/// <summary>Runs vmmctl as a process: out/vmmctl when `make build` made it, else the JIT build beside the tests.</summary>
internal static class Vmmctl
{
    public static string RepoRoot { get; } = FindRoot();

    public static string VectorsDir => Path.Combine(RepoRoot, "spec", "vectors");

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Vmm.sln"))) return d.FullName;
        throw new InvalidOperationException("cannot find the repository root (no Vmm.sln above the test binaries)");
    }

    public sealed record Result(int Exit, byte[] Stdout, string Stderr)
    {
        public string Text => Encoding.UTF8.GetString(Stdout);
    }

    public static Result Run(byte[]? stdin, params string[] args)
    {
        var aot = Path.Combine(RepoRoot, "out", "vmmctl");
        var psi = File.Exists(aot)
            ? new ProcessStartInfo(aot)
            : new ProcessStartInfo("dotnet") { ArgumentList = { Path.Combine(AppContext.BaseDirectory, "vmmctl.dll") } };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var p = Process.Start(psi)!;
        var stdout = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.BaseStream.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"vmmctl {string.Join(' ', args)} did not finish in 60 s");
        }
        copy.Wait();
        return new Result(p.ExitCode, stdout.ToArray(), stderr.Result);
    }

    public static Result Run(params string[] args) => Run(null, args);
}

/// <summary>The spec's vectors (spec §13), read with the protocol tests' reader.</summary>
internal static class Vectors
{
    public static IEnumerable<Vector> All() =>
        Directory.GetFiles(Vmmctl.VectorsDir, "*.vec").Order(StringComparer.Ordinal).Select(Load);

    public static Vector Load(string path) => Vector.Parse(Path.GetFileNameWithoutExtension(path), File.ReadAllText(path));

    public static Vector Get(string name) => Load(Path.Combine(Vmmctl.VectorsDir, name + ".vec"));

    /// <summary>Writes the vector's key to a file in <paramref name="dir"/> for --key-file.</summary>
    public static string KeyFile(this Vector v, string dir)
    {
        var path = Path.Combine(dir, v.Name + ".key");
        File.WriteAllText(path, v.Key + "\n");
        return path;
    }
}
