// The controller as operators run it: the Native AOT binary out/vmm-controller in its own process, with an
// empty configuration, a loopback UDP port and an admin socket in a private folder. Its CPU time and memory
// are read from /proc, and its state through the real vmmctl (out/vmmctl), so that a figure can be checked
// against what the controller actually holds.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Vmm.Benchmarks.RoundTrip;
using Vmm.Protocol;

namespace Vmm.Benchmarks.Ingest;

/// <summary>CPU time (user + system) and memory of a process at one moment.</summary>
/// <param name="Timestamp">When, by <see cref="Stopwatch.GetTimestamp"/>.</param>
/// <param name="CpuSeconds">utime + stime so far.</param>
/// <param name="RssKib">VmRSS: resident now.</param>
/// <param name="HwmKib">VmHWM: the most resident so far.</param>
internal readonly record struct ProcessSample(long Timestamp, double CpuSeconds, long RssKib, long HwmKib);

internal sealed class ControllerProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    // /proc/PID/stat counts CPU time in USER_HZ ticks, which is 100 on every Linux ABI .NET runs on.
    private const double TicksPerSecond = 100;

    private readonly string _folder;
    private readonly string _vmmctl;
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ControllerProcess(string folder, string vmmctl, Process process, IPEndPoint endpoint, string adminSocket)
    {
        _folder = folder;
        _vmmctl = vmmctl;
        _process = process;
        StateEndPoint = endpoint;
        AdminSocket = adminSocket;
    }

    public int Pid => _process.Id;

    /// <summary>Where STATE datagrams go.</summary>
    public IPEndPoint StateEndPoint { get; }

    public string AdminSocket { get; }

    /// <summary>The vmmctl binary that talks to it.</summary>
    public string VmmctlPath => _vmmctl;

    /// <summary>Starts <paramref name="binaries"/>/vmm-controller with <paramref name="key"/> (and any <paramref name="settings"/>,
    /// as flags), and returns once its admin socket exists.</summary>
    public static ControllerProcess Start(string binaries, ClusterKey key, params string[] settings)
    {
        string controller = Path.Combine(binaries, "vmm-controller"), vmmctl = Path.Combine(binaries, "vmmctl");
        foreach (var exe in (string[])[controller, vmmctl])
            if (!File.Exists(exe)) throw new SetupException($"{exe} not found: run `make build` first (the AOT binaries are measured)");

        string folder = Directory.CreateTempSubdirectory("vmm-bench-ingest-").FullName;
        string config = Path.Combine(folder, "controller.toml"), keyFile = Path.Combine(folder, "cluster.key");
        string admin = Path.Combine(folder, "admin.sock");
        File.WriteAllText(config, "# vmm-bench: every setting from the command line\n");
        File.WriteAllText(keyFile, key.ToFileText());
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var endpoint = new IPEndPoint(IPAddress.Loopback, FreeUdpPort());

        var start = new ProcessStartInfo(controller)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["--config", config, "--listen", endpoint.ToString(), "--admin-socket", admin, "--key-file", keyFile, "--log-level", "warn", .. settings])
            start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new SetupException($"{controller} did not start");
        var running = new ControllerProcess(folder, vmmctl, process, endpoint, admin);
        try
        {
            process.OutputDataReceived += (_, e) => running.Keep(e.Data);
            process.ErrorDataReceived += (_, e) => running.Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            running.WaitForAdminSocket();
            return running;
        }
        catch
        {
            running.Dispose();
            throw;
        }
    }

    /// <summary>CPU time and memory now, from /proc/PID/stat and /proc/PID/status.</summary>
    public ProcessSample Sample()
    {
        long now = Stopwatch.GetTimestamp();
        // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        string stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 of the whole line (utime, stime) are 12 and 13 after the command.
        double cpu = (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond;
        long rss = 0, hwm = 0;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kib(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kib(line);
        }
        return new ProcessSample(now, cpu, rss, hwm);
    }

    /// <summary>Datagrams the kernel dropped because the controller's receive queue was full (the drops column
    /// of /proc/net/udp for its socket): what it did not take in, which it cannot count itself.</summary>
    public long KernelDrops()
    {
        string local = $"{BitConverter.ToUInt32(StateEndPoint.Address.GetAddressBytes()):X8}:{StateEndPoint.Port:X4}";
        foreach (var line in File.ReadLines("/proc/net/udp").Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length > 12 && f[1] == local) return long.Parse(f[^1]);
        }
        throw new InvalidOperationException($"no UDP socket on {StateEndPoint} in /proc/net/udp: has vmm-controller stopped? {LastOutput()}");
    }

    /// <summary>Runs <c>vmmctl --socket ADMIN --json ARGS</c> and parses what it prints.</summary>
    public JsonDocument Vmmctl(params string[] args)
    {
        var start = new ProcessStartInfo(_vmmctl) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--socket", AdminSocket, "--json", .. args]) start.ArgumentList.Add(a);
        using var p = Process.Start(start) ?? throw new SetupException($"{_vmmctl} did not start");
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"vmmctl {string.Join(' ', args)} exited with {p.ExitCode}: {stderr.Result.Trim()}");
        return JsonDocument.Parse(stdout);
    }

    /// <summary>How many lines the controller has printed (warnings and errors) that contain <paramref name="text"/>.</summary>
    public int LinesContaining(string text)
    {
        lock (_output)
            return _output.ToString().Split('\n').Count(line => line.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>What the controller printed last (warnings and errors), for a failure message.</summary>
    /// <summary>Everything the controller printed so far.</summary>
    public string Output()
    {
        lock (_output) return _output.ToString();
    }

    public string LastOutput()
    {
        lock (_output)
        {
            var lines = _output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines.Length == 0 ? "(nothing printed)" : string.Join(" | ", lines.TakeLast(3));
        }
    }

    /// <summary>
    /// SIGTERM, and how long the controller took to exit; null when it had not exited after <paramref name="grace"/>
    /// (it is then killed). Dispose afterwards still removes the folder.
    /// </summary>
    public TimeSpan? Terminate(TimeSpan grace)
    {
        var started = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", Pid.ToString()])) kill.WaitForExit();
        if (_process.WaitForExit(grace)) return started.Elapsed;
        _process.Kill();
        _process.WaitForExit();
        return null;
    }

    /// <summary>SIGTERM, then SIGKILL if it has not stopped within 10 s; removes the private folder.</summary>
    public void Dispose()
    {
        ChildProcess.Stop(_process, StopTimeout);
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private void WaitForAdminSocket()
    {
        var waited = Stopwatch.StartNew();
        while (!File.Exists(AdminSocket))
        {
            if (_process.HasExited)
                throw new SetupException($"vmm-controller exited with status {_process.ExitCode} at start: {LastOutput()}");
            if (waited.Elapsed > StartTimeout)
                throw new SetupException($"vmm-controller did not create {AdminSocket} within {StartTimeout.TotalSeconds:0} s: {LastOutput()}");
            Thread.Sleep(10);
        }
    }

    private static long Kib(string statusLine) => long.Parse(statusLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

    // A port the kernel just gave out; the controller binds it a moment later (nothing else here takes UDP ports).
    private static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
