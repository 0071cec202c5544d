// A Vmm cluster on real QEMU: the cluster's network namespace (tests/tools/e2e-netns.sh), QEMU hosts, each a
// libvirtd in its own namespaces with a vmm-hostd (QemuHost), and one vmm-controller; driven through vmmctl.
// Every daemon runs in the private network namespace, so all their addresses are that namespace's loopback;
// vmmctl and virsh reach the controller and the libvirtds through unix sockets in the cluster's folder.
// Everything is started here and stopped by pid, also when a test fails; should the test run itself die,
// parent-death signals take every process down with it.
using System.Text.Json;

namespace Vmm.E2E.Harness;

internal sealed class QemuCluster : IDisposable
{
    /// <summary>The controller's UDP port, inside the cluster's own network namespace (so a fixed one is free).</summary>
    public const int ControllerPort = 7400;
    public const string HeartbeatText = "500ms";
    public static readonly TimeSpan Heartbeat = TimeSpan.FromMilliseconds(500);

    private readonly Daemon _netns;
    private readonly List<QemuHost> _hosts = [];
    private Daemon? _controller;

    private QemuCluster()
    {
        Dir = Directory.CreateTempSubdirectory("vmm-e2e-").FullName;
        Spawner = new Spawner();
        KeyPath = Path.Combine(Dir, "cluster.key");
        SocketPath = Path.Combine(Dir, "controller.sock");
        EmptyConfig = Path.Combine(Dir, "none.toml");
        // Every host binds its own folder on this path inside its mount namespace: the same pool path on every host.
        PoolPath = Path.Combine(Dir, "pool");
        Directory.CreateDirectory(PoolPath);
        // An empty configuration file, so that nothing in /etc/vmm applies.
        File.WriteAllText(EmptyConfig, "");
        var key = Command.Run(Repo.Bin("vmmctl"), ["key", "generate", KeyPath]);
        if (key.Code != 0) throw new E2EException($"vmmctl key generate: {key}");
        _netns = Daemon.Start(Spawner, Path.Combine(Dir, "netns.log"), "sh", [Repo.Tool("e2e-netns.sh")]);
        _netns.WaitForLine("ready", TimeSpan.FromSeconds(30));
    }

    public string Dir { get; }
    public Spawner Spawner { get; }
    public string KeyPath { get; }
    public string SocketPath { get; }
    public string EmptyConfig { get; }
    public string PoolPath { get; }

    /// <summary>The process that holds the cluster's network namespace.</summary>
    public int NetnsPid => _netns.Pid;

    /// <summary>Each hostd has a network namespace of its own (see <see cref="Start(bool, string[])"/>).</summary>
    public bool IsolateHostd { get; private init; }

    /// <summary>The one folder behind every host's pool when hostds are isolated (HA needs shared storage).</summary>
    public string SharedPoolPath
    {
        get
        {
            string path = Path.Combine(Dir, "shared-pool");
            Directory.CreateDirectory(path);
            return path;
        }
    }

    /// <summary>The cluster bridge's address, where an isolated hostd finds the controller.</summary>
    public const string BridgeAddress = "192.0.2.1";

    /// <summary>Runs <paramref name="exe"/> in the cluster's network namespace and waits for it; throws unless it exits 0.</summary>
    internal void InNetns(string exe, params string[] args)
    {
        var r = Command.Run("nsenter", [$"--net=/proc/{NetnsPid}/ns/net", "--", exe, .. args]);
        if (r.Code != 0) throw new E2EException($"{exe} {string.Join(' ', args)} in the cluster's namespace: {r}");
    }

    public IReadOnlyList<QemuHost> Hosts => _hosts;

    public QemuHost this[string name] => _hosts.First(h => h.Name == name);

    /// <summary>
    /// Checks the prerequisites, then starts the namespace, a libvirtd and hostd per host in <paramref name="hostNames"/>,
    /// and the controller, and waits until the controller lists every host up.
    /// </summary>
    public static QemuCluster Start(params string[] hostNames) => Start(isolateHostd: false, hostNames);

    /// <summary>
    /// As <see cref="Start(string[])"/>; with <paramref name="isolateHostd"/>, each hostd runs in a network namespace of its
    /// own, joined to the cluster's bridge by a veth pair, so that a test can cut one host off the controller
    /// (<see cref="QemuHost.CutOff"/>) while its hostd and libvirtd run on (HA tests).
    /// </summary>
    public static QemuCluster Start(bool isolateHostd, params string[] hostNames)
    {
        Prerequisites.Check();
        foreach (var bin in (string[])["vmmctl", "vmm-hostd", "vmm-controller"]) Repo.Bin(bin);
        var cluster = new QemuCluster { IsolateHostd = isolateHostd };
        try
        {
            // Ports in the cluster's own network namespace, where nothing else listens.
            for (int i = 0; i < hostNames.Length; i++) cluster._hosts.Add(new QemuHost(cluster, hostNames[i], 16509 + i, 7401 + i));
            foreach (var host in cluster._hosts) host.StartLibvirtd();
            cluster.StartController();
            foreach (var host in cluster._hosts) host.StartHostd();
            foreach (var host in cluster._hosts)
                cluster.Until(() => cluster.Host(host.Name) is { } h && h.GetProperty("state").GetString() == "up", $"host {host.Name} is up in the controller");
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>Starts <paramref name="exe"/> inside the cluster's network namespace; nsenter keeps its pid.</summary>
    internal Daemon StartInNetns(string logPath, string exe, params string[] args) =>
        Daemon.Start(Spawner, logPath, "setpriv", ["--pdeathsig", "TERM", "nsenter", $"--net=/proc/{NetnsPid}/ns/net", "--", exe, .. args]);

    public void StartController()
    {
        if (_controller is { HasExited: false }) throw new InvalidOperationException("the controller is running");
        _controller = StartInNetns(Path.Combine(Dir, "controller.log"), Repo.Bin("vmm-controller"),
            "--config", EmptyConfig, "--listen", $"{(IsolateHostd ? "0.0.0.0" : "127.0.0.1")}:{ControllerPort}", "--admin-socket", SocketPath,
            "--key-file", KeyPath, "--heartbeat-interval", HeartbeatText, "--down-after", "3",
            "--request-timeout", "60s", "--long-request-timeout", "5m", "--log-level", "debug",
            // The machine has few CPUs, and each test VM one vCPU: placement (a drain's too) may run 8 per CPU.
            "--cpu-overcommit", "8");
        Until(() => File.Exists(SocketPath) && Ctl("host", "list").Code == 0, "the controller's admin socket answers");
    }

    /// <summary>kill -9 of the controller, as a crash.</summary>
    public void KillController()
    {
        _controller?.Kill();
        _controller?.Stop(TimeSpan.Zero);
        _controller = null;
    }

    /// <summary>vmmctl against this cluster's controller.</summary>
    public CommandResult Ctl(params string[] args) => Command.Run(Repo.Bin("vmmctl"), ["--socket", SocketPath, .. args], TimeSpan.FromMinutes(6));

    /// <summary>vmmctl ... --json, parsed; throws unless vmmctl exits 0.</summary>
    public JsonElement Json(params string[] args)
    {
        var r = Ctl([.. args, "--json"]);
        if (r.Code != 0) throw new E2EException($"vmmctl {string.Join(' ', args)}: {r}\n{Logs()}");
        return JsonDocument.Parse(r.Out).RootElement.Clone();
    }

    public JsonElement[] Vms() => [.. Json("vm", "list").GetProperty("vms").EnumerateArray()];

    public JsonElement[] HostList() => [.. Json("host", "list").GetProperty("hosts").EnumerateArray()];

    public JsonElement? Vm(string name) => Vms().Where(v => v.GetProperty("name").GetString() == name).Cast<JsonElement?>().FirstOrDefault();

    public JsonElement? Host(string name) => HostList().Where(h => h.GetProperty("name").GetString() == name).Cast<JsonElement?>().FirstOrDefault();

    /// <summary>Polls <paramref name="condition"/> up to <paramref name="timeout"/> (default 30 s); the failure names it and shows the logs.</summary>
    public void Until(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.True(condition, timeout ?? Eventually.Default, what, Logs);

    /// <summary>The last lines of every daemon's log, for failure messages.</summary>
    public string Logs() => string.Join("\n", Directory.EnumerateFiles(Dir, "*.log", SearchOption.AllDirectories)
        .Where(f => !f.Contains("/log/", StringComparison.Ordinal))
        .Select(f => $"--- {Path.GetRelativePath(Dir, f)}\n{string.Join("\n", SafeTail(f, 12))}"));

    private static IEnumerable<string> SafeTail(string path, int n)
    {
        try { return File.ReadLines(path).TakeLast(n).ToList(); }
        catch (IOException) { return ["(unreadable)"]; }
    }

    public void Dispose()
    {
        foreach (var host in _hosts) host.StopHostd();
        _controller?.Stop(TimeSpan.FromSeconds(10));
        foreach (var host in _hosts) host.Dispose();
        _netns.Stop(TimeSpan.FromSeconds(5));
        Spawner.Dispose();
        // VMM_E2E_KEEP=1 keeps the cluster's folder (every daemon's log, libvirt's and QEMU's) for a post-mortem.
        if (Environment.GetEnvironmentVariable("VMM_E2E_KEEP") == "1") return;
        try { Directory.Delete(Dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
