// vmm-hostd as a host runs it: the Native AOT binary out/vmm-hostd in its own process, on libvirt's test driver
// (a node description of running domains, RoundTrip/TestNode), sending state to one controller, taking requests
// on a loopback port. Stopped by its pid.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Vmm.Benchmarks.RoundTrip;
using Vmm.Protocol;

namespace Vmm.Benchmarks.Soak;

internal sealed class HostdProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HostdProcess(Process process, IPEndPoint requests)
    {
        _process = process;
        RequestEndPoint = requests;
    }

    public int Pid => _process.Id;

    /// <summary>Where hostd takes requests.</summary>
    public IPEndPoint RequestEndPoint { get; }

    /// <summary>Starts hostd as <paramref name="hostName"/> on <paramref name="node"/>, in <paramref name="folder"/>, with any
    /// <paramref name="settings"/> as more flags, and returns once it listens.</summary>
    public static HostdProcess Start(string binaries, ClusterKey key, string folder, TestNode node, string hostName, IPEndPoint controller,
        params string[] settings)
    {
        string exe = Path.Combine(binaries, "vmm-hostd");
        if (!File.Exists(exe)) throw new SetupException($"{exe} not found: run `make build` first (the AOT binaries are measured)");
        string config = Path.Combine(folder, $"{hostName}.toml"), keyFile = Path.Combine(folder, $"{hostName}.key");
        File.WriteAllText(config, "# vmm-bench: every setting from the command line\n");
        // A hostd holds only its own host key, derived from the master the controller holds (spec §3.3).
        File.WriteAllText(keyFile, new KeyFileContents(key.DeriveHostKey(hostName), hostName).ToFileText());
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var listen = new IPEndPoint(IPAddress.Loopback, FreeTcpPort());
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--config", config, "--key-file", keyFile, "--libvirt-uri", $"test://{node.Path}", "--host-name", hostName,
                     "--listen", listen.ToString(), "--controllers", controller.ToString(), "--storage-path", Path.Combine(folder, "pool"), "--log-level", "warn", .. settings])
            start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new SetupException($"{exe} did not start");
        var hostd = new HostdProcess(process, listen);
        process.OutputDataReceived += (_, e) => hostd.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => hostd.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            hostd.WaitForListener();
            return hostd;
        }
        catch
        {
            hostd.Dispose();
            throw;
        }
    }

    public MemorySample Memory() => ProcessMemory.Read(Pid);

    public bool HasExited => _process.HasExited;

    /// <summary>Every line hostd prints, as it prints it (on a thread of the process' reader), before the tail
    /// kept for <see cref="LastOutput"/> forgets it.</summary>
    public event Action<string>? Line;

    /// <summary>What hostd printed last, for a failure message.</summary>
    public string LastOutput()
    {
        lock (_output)
        {
            var lines = _output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines.Length == 0 ? "(nothing printed)" : string.Join(" | ", lines.TakeLast(3));
        }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        Line?.Invoke(line);
        lock (_output)
        {
            if (_output.Length > 64 * 1024) _output.Clear();   // a soak runs for an hour: keep the tail only
            _output.AppendLine(line);
        }
    }

    private void WaitForListener()
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new SetupException($"vmm-hostd exited with status {_process.ExitCode} at start: {LastOutput()}");
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                probe.Connect(RequestEndPoint);
                return;
            }
            catch (SocketException) when (waited.Elapsed < StartTimeout)
            {
                Thread.Sleep(20);
            }
            catch (SocketException e)
            {
                throw new SetupException($"vmm-hostd did not listen on {RequestEndPoint} within {StartTimeout.TotalSeconds:0} s: {e.Message}; {LastOutput()}");
            }
        }
    }

    private static int FreeTcpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    public void Dispose() => ChildProcess.Stop(_process, TimeSpan.FromSeconds(10));
}
