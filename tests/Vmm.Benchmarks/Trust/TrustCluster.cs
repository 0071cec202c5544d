// A cluster for `make trust`: one vmm-controller and hostd processes (the AOT binaries of `make build`) on
// loopback, each restartable on the same ports and files, so that a restart is what an operator's restart is.
// Every process is started here and stopped by its pid; everything lives in one temporary folder.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Vmm.Benchmarks.RoundTrip;
using Vmm.Protocol;

namespace Vmm.Benchmarks.Trust;

internal sealed class TrustCluster : IDisposable
{
    private readonly string _binaries;
    private readonly string _folder = Directory.CreateTempSubdirectory("vmm-trust-").FullName;
    private readonly ClusterKey _key = ClusterKey.Generate();
    private readonly int _udpPort = FreePort(SocketType.Dgram, ProtocolType.Udp);
    private readonly Dictionary<string, (Process Process, int Port, TestNode Node)> _hosts = [];
    private Process? _controller;

    public TrustCluster(string binaries)
    {
        _binaries = binaries;
        foreach (var exe in (string[])["vmm-controller", "vmm-hostd", "vmmctl"])
            if (!File.Exists(Path.Combine(binaries, exe))) throw new SetupException($"{binaries}/{exe} not found: run `make build` first");
        File.WriteAllText(Path.Combine(_folder, "none.toml"), "");
        File.WriteAllText(Path.Combine(_folder, "cluster.key"), _key.ToFileText());
        File.SetUnixFileMode(Path.Combine(_folder, "cluster.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public string AdminSocket => Path.Combine(_folder, "controller.sock");

    /// <summary>Starts (or starts again) the controller on the same socket and port; returns once its socket answers.</summary>
    public void StartController()
    {
        _controller = Start("vmm-controller", "controller", "--config", Path.Combine(_folder, "none.toml"), "--listen", $"127.0.0.1:{_udpPort}",
            "--admin-socket", AdminSocket, "--key-file", Path.Combine(_folder, "cluster.key"), "--log-level", "warn");
        var clock = Stopwatch.StartNew();
        while (Ctl("host", "list").Exit != 0)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(15)) throw new SetupException("the controller's admin socket did not answer within 15 s");
            Thread.Sleep(20);
        }
    }

    /// <summary>kill -9 of the controller (a crash).</summary>
    public void KillController()
    {
        _controller?.Kill();
        _controller?.WaitForExit();
        _controller?.Dispose();
        _controller = null;
    }

    /// <summary>Starts (or starts again, same port and node) hostd <paramref name="name"/> with <paramref name="vms"/> running test VMs.</summary>
    public void StartHost(string name, int vms = 0)
    {
        if (!_hosts.TryGetValue(name, out var known))
        {
            string folder = Directory.CreateDirectory(Path.Combine(_folder, name)).FullName;
            File.WriteAllText(Path.Combine(folder, "host.key"), new KeyFileContents(_key.DeriveHostKey(name), name).ToFileText());
            File.SetUnixFileMode(Path.Combine(folder, "host.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            known = (null!, FreePort(SocketType.Stream, ProtocolType.Tcp), TestNode.Write(folder, vms));
        }
        string dir = Path.Combine(_folder, name);
        var process = Start("vmm-hostd", name, "--config", Path.Combine(_folder, "none.toml"), "--libvirt-uri", $"test://{known.Node.Path}",
            "--host-name", name, "--listen", $"127.0.0.1:{known.Port}", "--controllers", $"127.0.0.1:{_udpPort}",
            "--key-file", Path.Combine(dir, "host.key"), "--storage-path", Path.Combine(dir, "pool"), "--log-level", "warn");
        _hosts[name] = (process, known.Port, known.Node);
    }

    /// <summary>kill -9 of hostd <paramref name="name"/>.</summary>
    public void KillHost(string name)
    {
        var p = _hosts[name].Process;
        p.Kill();
        p.WaitForExit();
        p.Dispose();
    }

    /// <summary>Waits until every host named is up with at least <paramref name="vms"/> VMs each.</summary>
    public void WaitForHosts(int vms, params string[] names)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var (exit, output, _) = CtlOutput("host", "list", "--json");
            if (exit == 0)
            {
                using var doc = JsonDocument.Parse(output);
                int ready = doc.RootElement.GetProperty("hosts").EnumerateArray().Count(h => names.Contains(h.GetProperty("name").GetString())
                    && h.GetProperty("state").GetString() == "up" && h.GetProperty("vm-count").GetInt64() >= vms);
                if (ready == names.Length) return;
            }
            Thread.Sleep(100);
        }
        throw new SetupException($"hosts {string.Join(", ", names)} were not up within 30 s");
    }

    /// <summary>One vmmctl command: its exit code and stderr.</summary>
    public (int Exit, string Error) Ctl(params string[] args)
    {
        var (exit, _, error) = CtlOutput(args);
        return (exit, error);
    }

    public (int Exit, string Output, string Error) CtlOutput(params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(_binaries, "vmmctl")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["--socket", AdminSocket, .. args]) start.ArgumentList.Add(a);
        using var p = Process.Start(start) ?? throw new SetupException("vmmctl did not start");
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill();
            p.WaitForExit();
            return (-1, "", "killed after 60 s");
        }
        return (p.ExitCode, output.Result, error.Result.Trim());
    }

    private Process Start(string exe, string log, params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(_binaries, exe)) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        var p = Process.Start(start) ?? throw new SetupException($"{exe} did not start");
        var file = new StreamWriter(Path.Combine(_folder, log + ".log"), append: true) { AutoFlush = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (file) file.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (file) file.WriteLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static int FreePort(SocketType type, ProtocolType protocol)
    {
        using var s = new Socket(AddressFamily.InterNetwork, type, protocol);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        foreach (var (p, _, _) in _hosts.Values) ChildProcess.Stop(p, TimeSpan.FromSeconds(5));
        if (_controller is not null) ChildProcess.Stop(_controller, TimeSpan.FromSeconds(5));
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
