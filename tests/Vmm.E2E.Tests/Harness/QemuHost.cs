// One QEMU host of the cluster (tests/tools/e2e-qemu-host.sh says how it is kept apart from the machine): the
// namespace holder, its libvirtd, and the vmm-hostd that manages it. Each can be stopped, killed and started
// again on its own, for the fault tests; everything is stopped by pid.
using System.Diagnostics;

namespace Vmm.E2E.Harness;

internal sealed class QemuHost : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly QemuCluster _cluster;
    private readonly Daemon _holder;
    private readonly int _holderPid;
    private Daemon? _libvirtd;
    private Daemon? _hostd;
    private Daemon? _hostdNet;
    private readonly int _index;

    public QemuHost(QemuCluster cluster, string name, int tcpPort, int hostdPort)
    {
        _cluster = cluster;
        _index = hostdPort - 7400;
        Name = name;
        TcpPort = tcpPort;
        HostdPort = hostdPort;
        Dir = Path.Combine(cluster.Dir, name);
        Directory.CreateDirectory(Dir);
        // Shared storage (HA): every host's pool folder is the same folder, which the namespace script binds on the pool path.
        if (cluster.IsolateHostd) Directory.CreateSymbolicLink(Path.Combine(Dir, "pool"), cluster.SharedPoolPath);
        _holder = Daemon.Start(cluster.Spawner, Path.Combine(Dir, "namespace.log"), "sh",
            [Repo.Tool("e2e-qemu-host.sh"), "namespace", Dir, cluster.NetnsPid.ToString(), tcpPort.ToString(), Guid.NewGuid().ToString(), cluster.PoolPath]);
        _holder.WaitForLine("ready", StartTimeout);
        // unshare --fork: the namespace's pid 1 (seen from here) is the holder's only child.
        _holderPid = Eventually.Value(() => _holder.Children().FirstOrDefault(), TimeSpan.FromSeconds(10), $"host {name}'s pid 1");
    }

    public string Name { get; }

    /// <summary>The host's folder: its libvirt configuration, state, logs, sockets and pool.</summary>
    public string Dir { get; }

    public int TcpPort { get; }

    /// <summary>hostd's request port: fixed, as on a real host, so a restarted hostd is found where the last one was.</summary>
    public int HostdPort { get; }

    /// <summary>libvirtd's read-write socket, from outside the namespaces.</summary>
    public string LibvirtUri => $"qemu+unix:///system?socket={Path.Combine(Dir, "sock", "libvirt-sock")}";

    /// <summary>The URI this host's hostd reports for migration: libvirtd's TCP listener in the cluster's network namespace.</summary>
    public string MigrationUri => $"qemu+tcp://127.0.0.1:{TcpPort}/system";

    public int? LibvirtdPid => _libvirtd?.Children().FirstOrDefault() is int pid and > 0 ? pid : null;

    public int? HostdPid => _hostd is { HasExited: false } h ? h.Pid : null;

    /// <summary>Starts libvirtd in the host's namespaces and waits until virsh gets an answer from it.</summary>
    public void StartLibvirtd()
    {
        if (_libvirtd is { HasExited: false }) throw new InvalidOperationException($"libvirtd of {Name} is running");
        _libvirtd = Daemon.Start(_cluster.Spawner, Path.Combine(Dir, "libvirtd.log"), "sh",
            [Repo.Tool("e2e-qemu-host.sh"), "libvirtd", Dir, _holderPid.ToString()]);
        var waited = Stopwatch.StartNew();
        while (Virsh("version").Code != 0)
        {
            if (_libvirtd.HasExited || waited.Elapsed > StartTimeout)
                throw new E2EException($"libvirtd of {Name} did not answer within {StartTimeout.TotalSeconds:0} s: {Daemon.Tail(_libvirtd.LogPath, 5)}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Stops libvirtd (SIGTERM to libvirtd itself, not to nsenter, so it shuts down cleanly); its VMs keep running.</summary>
    public void StopLibvirtd()
    {
        if (_libvirtd is null) return;
        if (LibvirtdPid is int pid) Command.Run("kill", ["-TERM", pid.ToString()]);
        // nsenter exits once libvirtd has; Stop escalates if it has not within the grace.
        _libvirtd.WaitForExit(TimeSpan.FromSeconds(20));
        _libvirtd.Stop(TimeSpan.FromSeconds(5));
        _libvirtd = null;
    }

    /// <summary>Starts vmm-hostd for this host in the cluster's network namespace (or its own, when the cluster isolates hostd).</summary>
    public void StartHostd()
    {
        if (_hostd is { HasExited: false }) throw new InvalidOperationException($"hostd of {Name} is running");
        string[] args = [Repo.Bin("vmm-hostd"),
            "--config", _cluster.EmptyConfig, "--libvirt-uri", LibvirtUri, "--host-name", Name, "--key-file", HostKeyPath(),
            "--heartbeat-interval", QemuCluster.HeartbeatText, "--storage-path", _cluster.PoolPath, "--storage-pool", "vmm",
            "--migration-uri", MigrationUri, "--state-path", Path.Combine(Dir, "state"), "--log-level", "debug", "--lease-file", Path.Combine(Dir, "hostd.lease"),
            "--usage-interval", "1s"];
        string log = Path.Combine(Dir, "hostd.log");
        // An HA cluster's hosts each pet a stand-in watchdog, whose reset kills the host's QEMU processes.
        if (_cluster.IsolateHostd)
        {
            Watchdog ??= new FakeWatchdog(Path.Combine(Dir, "watchdog"), WatchdogTimeout, KillQemus);
            args = [.. args, "--watchdog-device", Watchdog.Path, "--watchdog-timeout", $"{WatchdogTimeout.TotalSeconds:0}s"];
        }
        if (!_cluster.IsolateHostd)
        {
            _hostd = _cluster.StartInNetns(log, args[0], [.. args[1..], "--listen", $"127.0.0.1:{HostdPort}",
                "--controllers", $"127.0.0.1:{QemuCluster.ControllerPort}"]);
            return;
        }
        _hostdNet ??= IsolatedNetwork();
        _hostd = Daemon.Start(_cluster.Spawner, log, "setpriv", ["--pdeathsig", "TERM", "nsenter", $"--net=/proc/{_hostdNet.Pid}/ns/net", "--",
            .. args, "--listen", $"{HostdAddress}:{HostdPort}", "--controllers", $"{QemuCluster.BridgeAddress}:{QemuCluster.ControllerPort}"]);
    }

    /// <summary>An isolated hostd's address on the cluster's bridge.</summary>
    public string HostdAddress => $"192.0.2.{10 + _index}";

    private string VethName => $"vmm-ha-{Name}";

    // hostd's own network namespace: a holder process, and a veth pair from it to the cluster's bridge.
    private Daemon IsolatedNetwork()
    {
        var net = Daemon.Start(_cluster.Spawner, Path.Combine(Dir, "hostd-net.log"), "setpriv", ["--pdeathsig", "KILL", "unshare", "--net", "sleep", "infinity"]);
        Eventually.True(() => new FileInfo($"/proc/{net.Pid}/ns/net").LinkTarget != new FileInfo("/proc/self/ns/net").LinkTarget,
            TimeSpan.FromSeconds(10), $"host {Name}'s hostd network namespace", () => "");
        _cluster.InNetns("ip", "link", "add", VethName, "type", "veth", "peer", "name", "eth0", "netns", net.Pid.ToString());
        _cluster.InNetns("ip", "link", "set", VethName, "master", "vmm-e2e0");
        _cluster.InNetns("ip", "link", "set", VethName, "up");
        foreach (var cmd in new[] { "ip link set lo up", $"ip addr add {HostdAddress}/24 dev eth0", "ip link set eth0 up" })
        {
            var r = Command.Run("nsenter", [$"--net=/proc/{net.Pid}/ns/net", "--", .. cmd.Split(' ')]);
            if (r.Code != 0) throw new E2EException($"{cmd} in host {Name}'s hostd namespace: {r}");
        }
        return net;
    }

    /// <summary>hostd's watchdog timeout: the default.</summary>
    public static readonly TimeSpan WatchdogTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The stand-in watchdog hostd pets (isolated hosts only).</summary>
    public FakeWatchdog? Watchdog { get; private set; }

    /// <summary>True while <see cref="Freeze"/> has hostd and libvirtd stopped.</summary>
    public bool Frozen { get; private set; }

    /// <summary>Freezes (SIGSTOP) or thaws (SIGCONT) this host's hostd and libvirtd; its QEMU processes run on.</summary>
    public void Freeze(bool frozen)
    {
        Frozen = frozen;
        foreach (var pid in new[] { HostdPid, LibvirtdPid })
            if (pid is int p) Command.Run("kill", [frozen ? "-STOP" : "-CONT", p.ToString()]);
    }

    /// <summary>What a reset of the machine does to its VMs: every QEMU process of this host is killed.</summary>
    public void KillQemus()
    {
        foreach (int pid in QemuPids()) Command.Run("kill", ["-KILL", pid.ToString()]);
    }

    /// <summary>Cuts this host's hostd off the cluster (its link to the bridge down), or joins it again; hostd and libvirtd run on.</summary>
    public void CutOff(bool cut)
    {
        if (_hostdNet is null) throw new InvalidOperationException("only an isolated hostd can be cut off");
        _cluster.InNetns("ip", "link", "set", VethName, cut ? "down" : "up");
    }

    // This host's own key, derived from the cluster's master (spec §3.3), made on first use.
    private string HostKeyPath()
    {
        string path = Path.Combine(Dir, "host.key");
        if (File.Exists(path)) return path;
        var derived = Command.Run(Repo.Bin("vmmctl"), ["key", "derive", Name, "--key-file", _cluster.KeyPath, path]);
        if (derived.Code != 0) throw new E2EException($"vmmctl key derive {Name}: {derived}");
        return path;
    }

    /// <summary>kill -9 of hostd, as a crash.</summary>
    public void KillHostd()
    {
        _hostd?.Kill();
        _hostd?.Stop(TimeSpan.Zero);
        _hostd = null;
    }

    public void StopHostd()
    {
        _hostd?.Stop(TimeSpan.FromSeconds(10));
        _hostd = null;
    }

    /// <summary>virsh against this host's libvirtd.</summary>
    public CommandResult Virsh(params string[] args) => Command.Run("virsh", ["-q", "-c", LibvirtUri, .. args], TimeSpan.FromMinutes(2));

    /// <summary>
    /// The domain type a new VM on this host gets: kvm when libvirt's capabilities offer it for an hvm guest (the
    /// machine has /dev/kvm), else qemu. Read from the host itself, so that a test asserts what this machine offers.
    /// </summary>
    public string OfferedDomainType() =>
        VirshOk("capabilities").Contains("<domain type='kvm'", StringComparison.Ordinal) ? "kvm" : "qemu";

    /// <summary>virsh that must succeed; its stdout, trimmed.</summary>
    public string VirshOk(params string[] args)
    {
        var r = Virsh(args);
        if (r.Code != 0) throw new E2EException($"virsh {string.Join(' ', args)} on {Name}: {r}");
        return r.Out.Trim();
    }

    /// <summary>The pid of the QEMU process running <paramref name="vm"/> on this host: in this host's pid namespace,
    /// with -name guest=VM on its command line.</summary>
    public int? QemuPid(string vm) => QemuPids(vm).Cast<int?>().FirstOrDefault();

    /// <summary>The pids of this host's QEMU processes (of <paramref name="vm"/> alone, when given).</summary>
    public List<int> QemuPids(string? vm = null)
    {
        string ns = NamespaceOf(_holderPid);
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || NamespaceOf(pid) != ns) continue;
            string[] args;
            try { args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0'); }
            catch (IOException) { continue; }
            if (args[0].Contains("qemu-system", StringComparison.Ordinal) && (vm is null || args.Any(a => a.StartsWith($"guest={vm},", StringComparison.Ordinal))))
                pids.Add(pid);
        }
        return pids;
    }

    private static string NamespaceOf(int pid)
    {
        try { return new FileInfo($"/proc/{pid}/ns/pid").LinkTarget ?? ""; }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }

    /// <summary>Stops hostd, libvirtd, then the namespace holder, whose end takes every QEMU of the host with it.</summary>
    public void Dispose()
    {
        StopHostd();
        Watchdog?.Dispose();
        _hostdNet?.Stop(TimeSpan.FromSeconds(5));
        StopLibvirtd();
        _holder.Stop(TimeSpan.FromSeconds(5));
    }
}
