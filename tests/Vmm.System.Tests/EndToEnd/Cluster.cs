// A real Vmm cluster on loopback for system tests: the AOT binaries from `make build` (out/), one
// vmm-controller, any number of vmm-hostd processes each on a private libvirt test-driver node, and vmmctl.
// Every process is started here and stopped by pid; nothing outside a temporary folder is touched.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Vmm.System.Tests.EndToEnd;

internal sealed class Cluster : IAsyncDisposable
{
    public const string Heartbeat = "200ms";

    private readonly string _dir = Directory.CreateTempSubdirectory("vmm-cluster-").FullName;
    private readonly Dictionary<string, Process> _hosts = [];
    private Process? _controller;

    public Cluster()
    {
        KeyPath = Path.Combine(_dir, "cluster.key");
        SocketPath = Path.Combine(_dir, "controller.sock");
        // A master key under which the hosts' derived keys have distinct key ids (1 byte: two of three hosts share
        // one for about 1 master key in 85): the tests that sign as one host for another expect wrong-key, which a
        // shared id turns into bad-tag.
        for (int attempt = 0; ; attempt++)
        {
            var (code, _, err) = Run(Bin("vmmctl"), ["key", "generate", KeyPath, "--force"]);
            Assert.True(code == 0, err);
            var master = Vmm.Protocol.ClusterKey.Load(KeyPath);
            if (new[] { "hv-a", "hv-b", "hv-c" }.Select(h => master.DeriveHostKey(h).Id).Distinct().Count() == 3 || attempt == 20) break;
        }
        UdpPort = FreePort(SocketType.Dgram, ProtocolType.Udp);
        // An empty configuration file, so that nothing in /etc/vmm applies.
        File.WriteAllText(Path.Combine(_dir, "none.toml"), "");
    }

    /// <summary>A command the daemons are started under, such as nsenter into a network namespace (the Wireshark
    /// tests capture there); empty: they are started as they are. nsenter execs the daemon, so pids stay theirs.</summary>
    public string[] Launcher { get; init; } = [];

    public string KeyPath { get; }
    public string SocketPath { get; }
    public int UdpPort { get; }
    /// <summary>The cluster master key (the controller's key-file).</summary>
    public Vmm.Protocol.ClusterKey Key => Vmm.Protocol.ClusterKey.Load(KeyPath);

    /// <summary>Host <paramref name="name"/>'s key file, derived from the master with vmmctl on first use.</summary>
    public string HostKeyPath(string name)
    {
        string path = Path.Combine(_dir, name + ".key");
        if (File.Exists(path)) return path;
        var (code, _, err) = Run(Bin("vmmctl"), ["key", "derive", name, "--key-file", KeyPath, path]);
        Assert.True(code == 0, err);
        return path;
    }

    /// <summary>The repository's out/NAME, built by `make build`.</summary>
    public static string Bin(string name, [CallerFilePath] string here = "")
    {
        string root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "../../.."));
        string path = Path.Combine(root, "out", name);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: run `make build` first");
    }

    /// <summary>Starts the controller; <paramref name="extra"/> are more flags (e.g. --hosts pins).</summary>
    public void StartController(params string[] extra) => StartController(3, extra);

    /// <summary>Starts the controller with a host down after <paramref name="downAfter"/> missed heartbeats.</summary>
    public void StartController(int downAfter, params string[] extra)
    {
        _controller = Start(Bin("vmm-controller"), "controller",
            ["--config", Path.Combine(_dir, "none.toml"), "--listen", $"127.0.0.1:{UdpPort}", "--admin-socket", SocketPath,
            "--key-file", KeyPath, "--heartbeat-interval", Heartbeat, "--down-after", $"{downAfter}", "--request-timeout", "20s", "--log-level", "debug",
            .. extra]);
        Eventually(() => File.Exists(SocketPath) && Ctl("host", "list").Code == 0, "the controller's admin socket answers");
    }

    /// <summary>Stops the controller: SIGKILL (a crash) or SIGTERM (a clean stop).</summary>
    public void StopController(bool kill = false)
    {
        Stop(_controller!, kill);
        _controller = null;
    }

    /// <summary>Host <paramref name="name"/>'s test node (a libvirt test-driver file, read at each start): the empty
    /// node.xml with <paramref name="domains"/> (domain elements) added.</summary>
    public void SetNode(string name, string domains) =>
        File.WriteAllText(Path.Combine(_dir, name + ".xml"), File.ReadAllText(Fixture("node.xml")).Replace("</node>", domains + "\n</node>"));

    /// <summary>Starts a hostd named <paramref name="name"/> on a private copy of the test node, taking requests on
    /// <paramref name="port"/> (0: any free port) and sending its state to the controller (or to port
    /// <paramref name="sendTo"/> on loopback); <paramref name="extra"/> are more flags.</summary>
    public void StartHost(string name, int port = 0, int? sendTo = null, params string[] extra)
    {
        string node = Path.Combine(_dir, name + ".xml");
        if (!File.Exists(node)) File.Copy(Fixture("node.xml"), node);
        _hosts[name] = Start(Bin("vmm-hostd"), name,
            ["--config", Path.Combine(_dir, "none.toml"), "--libvirt-uri", $"test://{node}", "--host-name", name,
            "--listen", $"127.0.0.1:{port}", "--controllers", $"127.0.0.1:{sendTo ?? UdpPort}", "--key-file", HostKeyPath(name),
            "--heartbeat-interval", Heartbeat, "--storage-path", Path.Combine(_dir, "pool-" + name),
            "--lease-file", Path.Combine(_dir, "lease-" + name), "--log-level", "debug", .. extra]);
    }

    /// <summary>The process id of hostd <paramref name="name"/>, for what /proc shows of it.</summary>
    public int HostPid(string name) => _hosts[name].Id;

    public void StopHost(string name, bool kill = false)
    {
        Stop(_hosts[name], kill);
        _hosts.Remove(name);
    }

    /// <summary>Freezes (SIGSTOP) or thaws (SIGCONT) hostd <paramref name="name"/>: a host that takes requests and does not answer.</summary>
    public void FreezeHost(string name, bool frozen) =>
        Process.Start("kill", [frozen ? "-STOP" : "-CONT", _hosts[name].Id.ToString()])!.WaitForExit();

    /// <summary>Runs vmmctl against this cluster's controller.</summary>
    public (int Code, string Out, string Err) Ctl(params string[] args) =>
        Run(Bin("vmmctl"), ["--socket", SocketPath, .. args]);

    /// <summary>vmmctl ... --json, parsed; fails the test unless vmmctl exits 0.</summary>
    public JsonElement Json(params string[] args)
    {
        var (code, output, error) = Ctl([.. args, "--json"]);
        Assert.True(code == 0, $"vmmctl {string.Join(' ', args)}: exit {code}: {error}");
        return JsonDocument.Parse(output).RootElement;
    }

    public JsonElement[] Vms() => [.. Json("vm", "list").GetProperty("vms").EnumerateArray()];

    public JsonElement[] Hosts() => [.. Json("host", "list").GetProperty("hosts").EnumerateArray()];

    public JsonElement? Vm(string name) => Vms().Where(v => v.GetProperty("name").GetString() == name).Cast<JsonElement?>().FirstOrDefault();

    public JsonElement? Host(string name) => Hosts().Where(h => h.GetProperty("name").GetString() == name).Cast<JsonElement?>().FirstOrDefault();

    /// <summary>Polls <paramref name="condition"/> for up to 20 s; the failure names what was awaited and shows the logs.</summary>
    public void Eventually(Func<bool> condition, string what)
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (condition()) return;
            Thread.Sleep(50);
        }
        Assert.Fail($"not within 20 s: {what}\n{Logs()}");
    }

    /// <summary>Everything daemon <paramref name="name"/> (controller, or a host name) has logged so far.</summary>
    public string Log(string name) => File.ReadAllText(Path.Combine(_dir, name + ".log"));

    /// <summary>The last lines of every process's log, for failure messages.</summary>
    public string Logs() => string.Join("\n", Directory.EnumerateFiles(_dir, "*.log").Select(f =>
        $"--- {Path.GetFileName(f)}\n{string.Join("\n", File.ReadLines(f).TakeLast(15))}"));

    private Process Start(string exe, string logName, params string[] args)
    {
        string[] command = [.. Launcher, exe, .. args];
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in command[1..]) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var log = new StreamWriter(Path.Combine(_dir, logName + ".log"), append: true) { AutoFlush = true };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        return p;
    }

    private static void Stop(Process p, bool kill)
    {
        if (p.HasExited) return;
        if (kill) p.Kill();
        else Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
        if (!p.WaitForExit(20000)) p.Kill();
        p.WaitForExit();
    }

    internal static (int Code, string Out, string Err) Run(string exe, string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60000)) { p.Kill(); throw new TimeoutException($"{exe} {string.Join(' ', args)} did not finish"); }
        return (p.ExitCode, output.Result, error.Result);
    }

    /// <summary>A TCP port free on loopback now.</summary>
    public static int FreeTcpPort() => FreePort(SocketType.Stream, ProtocolType.Tcp);

    private static int FreePort(SocketType type, ProtocolType protocol)
    {
        using var s = new Socket(AddressFamily.InterNetwork, type, protocol);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    private static string Fixture(string name, [CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, name);

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _hosts.Values) Stop(p, kill: true);
        if (_controller is not null) Stop(_controller, kill: true);
        await Task.Yield();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
