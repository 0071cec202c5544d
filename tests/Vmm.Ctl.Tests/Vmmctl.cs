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

    public static Result Run(byte[]? stdin, params string[] args) => Run(stdin, null, args);

    /// <summary>Runs vmmctl with <paramref name="env"/> added to its environment (a null value removes a variable).</summary>
    public static Result Run(byte[]? stdin, IReadOnlyDictionary<string, string?>? env, params string[] args) =>
        Run(StartInfo(env, args), stdin, args);

    /// <summary>Runs vmmctl under another program, such as setpriv: <paramref name="wrapper"/> then vmmctl and its arguments.</summary>
    public static Result RunUnder(string[] wrapper, params string[] args)
    {
        var inner = StartInfo(null, args);
        var psi = new ProcessStartInfo(wrapper[0]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var w in wrapper[1..]) psi.ArgumentList.Add(w);
        psi.ArgumentList.Add(inner.FileName);
        foreach (var a in inner.ArgumentList) psi.ArgumentList.Add(a);
        psi.Environment.Remove("VMM_SOCKET");
        return Run(psi, null, args);
    }

    private static Result Run(ProcessStartInfo psi, byte[]? stdin, string[] args)
    {
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

    /// <summary>Starts vmmctl and hands back its output line by line as it comes (for watch).</summary>
    public static Running Start(params string[] args) => new(Process.Start(StartInfo(null, args))!, args);

    private static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string?>? env, string[] args)
    {
        var aot = Path.Combine(RepoRoot, "out", "vmmctl");
        var psi = File.Exists(aot)
            ? new ProcessStartInfo(aot)
            : new ProcessStartInfo("dotnet") { ArgumentList = { Path.Combine(AppContext.BaseDirectory, "vmmctl.dll") } };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        // A VMM_SOCKET of the machine running the tests must not reach a controller the test did not start.
        psi.Environment.Remove("VMM_SOCKET");
        foreach (var (name, value) in env ?? new Dictionary<string, string?>())
        {
            if (value is null) psi.Environment.Remove(name);
            else psi.Environment[name] = value;
        }
        return psi;
    }

    /// <summary>A vmmctl that is still running: its stdout lines as they arrive, and its end.</summary>
    public sealed class Running : IDisposable
    {
        private readonly Process _process;
        private readonly string[] _args;
        private readonly List<string> _lines = [];
        private readonly Task _reader;
        private readonly Task<string> _stderr;

        public Running(Process process, string[] args)
        {
            _process = process;
            _args = args;
            _process.StandardInput.Close();
            _stderr = _process.StandardError.ReadToEndAsync();
            _reader = Task.Run(() =>
            {
                while (_process.StandardOutput.ReadLine() is { } line)
                    lock (_lines)
                    {
                        _lines.Add(line);
                        Monitor.PulseAll(_lines);
                    }
            });
        }

        /// <summary>Waits (up to 20 s) until vmmctl has printed <paramref name="count"/> lines; returns them all.</summary>
        public IReadOnlyList<string> WaitForLines(int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            lock (_lines)
            {
                while (_lines.Count < count)
                {
                    var left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero || _reader.IsCompleted && _lines.Count < count)
                        throw new TimeoutException($"vmmctl {string.Join(' ', _args)} printed {_lines.Count} lines, not {count}: [{string.Join(" | ", _lines)}]");
                    Monitor.Wait(_lines, TimeSpan.FromMilliseconds(Math.Min(left.TotalMilliseconds, 200)));
                }
                return [.. _lines];
            }
        }

        /// <summary>Waits (up to 20 s) for vmmctl to exit; returns its exit code and stderr.</summary>
        public (int Exit, string Stderr) WaitForExit()
        {
            if (!_process.WaitForExit(20_000)) throw new TimeoutException($"vmmctl {string.Join(' ', _args)} did not exit in 20 s");
            _reader.Wait();
            return (_process.ExitCode, _stderr.Result);
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
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

    /// <summary>Writes the vector's key to a file in <paramref name="dir"/> for --key-file: the host key of its host.</summary>
    public static string KeyFile(this Vector v, string dir)
    {
        var path = Path.Combine(dir, v.Name + ".key");
        File.WriteAllText(path, $"host {v.Host ?? "hv-01"} {v.Key}\n");
        return path;
    }

    /// <summary>Writes the vector's master key to a file in <paramref name="dir"/> for --key-file.</summary>
    public static string MasterFile(this Vector v, string dir)
    {
        var path = Path.Combine(dir, v.Name + ".master");
        File.WriteAllText(path, $"master {v.Master}\n");
        return path;
    }
}
