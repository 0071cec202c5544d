// A libvirtd of the benchmark's own (tools/private-libvirtd.sh says how it is kept apart from the machine's
// libvirt), started for one run and stopped by its pid, also when the run fails.
using System.Diagnostics;
using System.Text;

namespace Vmm.Benchmarks.RoundTrip;

internal sealed class PrivateLibvirtd : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly string _socket;

    private PrivateLibvirtd(Process process, string socket)
    {
        _process = process;
        _socket = socket;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) if (_stderr.Length < 64 * 1024) _stderr.AppendLine(e.Data);
        };
        process.BeginErrorReadLine();
    }

    /// <summary>libvirtd's pid (the script execs into it, keeping its pid).</summary>
    public int Pid => _process.Id;

    /// <summary>What `libvirtd --version` says, e.g. "libvirtd (libvirt) 9.0.0".</summary>
    public string Version { get; private set; } = "";

    /// <summary>The remote URI of the test driver's node at <paramref name="nodePath"/> through this libvirtd's socket.</summary>
    public string TestUri(string nodePath) => $"test+unix://{nodePath}?socket={_socket}";

    /// <summary>
    /// Starts libvirtd with its sockets in <paramref name="folder"/> and waits until it accepts connections.
    /// Call it from the main thread: libvirtd's parent-death signal is tied to the thread that started it.
    /// </summary>
    public static PrivateLibvirtd Start(string folder)
    {
        if (Environment.UserName != "root")
            throw new SetupException("the round trip starts its own libvirtd in a private mount namespace, which needs root");
        foreach (var tool in (string[])["libvirtd", "unshare", "setpriv"])
            if (Which(tool) is null)
                throw new SetupException($"{tool} is not installed: `bash tests/tools/ensure-packages.sh libvirt-daemon util-linux` installs it");

        string script = Path.Combine(AppContext.BaseDirectory, "tools", "private-libvirtd.sh");
        var start = new ProcessStartInfo("sh") { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(folder);
        var process = Process.Start(start) ?? throw new SetupException("could not start " + script);
        var daemon = new PrivateLibvirtd(process, Path.Combine(folder, "libvirt-sock"));
        try
        {
            daemon.WaitUntilListening();
            daemon.Version = VersionOf("libvirtd");
            return daemon;
        }
        catch
        {
            daemon.Dispose();
            throw;
        }
    }

    private void WaitUntilListening()
    {
        var waited = Stopwatch.StartNew();
        while (!File.Exists(_socket))
        {
            if (_process.HasExited)
                throw new SetupException($"libvirtd exited with status {_process.ExitCode} before listening: {LastLine()}");
            if (waited.Elapsed > StartTimeout)
                throw new SetupException($"libvirtd did not create {_socket} within {StartTimeout.TotalSeconds:0} s: {LastLine()}");
            Thread.Sleep(20);
        }
    }

    private string LastLine()
    {
        lock (_stderr)
        {
            var lines = _stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines.Length == 0 ? "(nothing on its stderr)" : lines[^1];
        }
    }

    /// <summary>Stops libvirtd by its pid: SIGTERM, then SIGKILL if it has not exited within 10 s.</summary>
    public void Dispose()
    {
        ChildProcess.Stop(_process, StopTimeout);
    }

    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/sbin")
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);

    private static string VersionOf(string tool)
    {
        var start = new ProcessStartInfo(Which(tool)!, "--version") { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(start)!;
        string text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return text;
    }
}
