using System.Net;
using System.Net.Sockets;
using Vmm.Hosting.Configuration;

namespace Vmm.Hosting.Cli;

/// <summary>
/// What a daemon checks of its machine before it starts, short of the network: its key file (present, readable,
/// well-formed), the addresses it will listen on (this machine's, and a port it may bind), the folders it writes to.
/// The same checks run for <c>--check-config</c> and at every start, so that a configuration --check-config passes
/// does not fail at start for any of them. A failed check throws one <see cref="ConfigException"/> line located
/// where the setting was set; what only deserves a warning (a key file others can read, a port in use now, which
/// is expected while the daemon itself runs) is collected in <see cref="Warnings"/>.
/// </summary>
public sealed class StartChecks(Config config, bool starting)
{
    private readonly List<string> _warnings = [];
    private readonly System.Text.StringBuilder _lines = new();

    /// <summary>True before a start, false for --check-config.</summary>
    public bool Starting => starting;

    /// <summary>Comment lines --check-config prints after the settings (the key ids).</summary>
    public string Lines => _lines.ToString();

    /// <summary>Problems that do not stop the daemon: --check-config prints them, a start logs them.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>
    /// The daemon's key files load as they will at start (<paramref name="load"/>: present, readable, well-formed, of
    /// the right kind, for the right host), and neither is readable by every user; --check-config then shows their key
    /// ids (spec §3.3).
    /// </summary>
    public void Keys(ConfigKey<string> keyFile, ConfigKey<string> secondKeyFile, Func<KeyFile.Loaded> load)
    {
        KeyFile.Loaded loaded;
        try
        {
            loaded = load();
        }
        catch (ConfigException e)
        {
            // KeyFile's lines start with the setting's name: located here where it was set instead.
            var key = e.Message.StartsWith(secondKeyFile.Name + ": ", StringComparison.Ordinal) ? secondKeyFile : keyFile;
            throw config.Error(key, e.Message.StartsWith(key.Name + ": ", StringComparison.Ordinal) ? e.Message[(key.Name.Length + 2)..] : e.Message);
        }
        _lines.Append(loaded.Describe());
        foreach (var key in new[] { keyFile, secondKeyFile })
        {
            string path = config.Get(key);
            if (path.Length == 0 || OperatingSystem.IsWindows()) continue;
            var mode = File.GetUnixFileMode(path);
            if ((mode & UnixFileMode.OtherRead) != 0)
                _warnings.Add($"{key.Name} {path} is readable by every user of this machine (mode {Octal(mode)}): chmod o-r {path}");
        }
    }

    /// <summary>
    /// <paramref name="key"/>'s address is one of this machine's and its port may be bound by this user. A port that
    /// another socket holds now is a warning only: --check-config is run while the daemon it checks is running.
    /// </summary>
    public void Listen(ConfigKey<HostPort> key, ProtocolType protocol)
    {
        var listen = config.Get(key);
        if (listen.Address is not { } address) return; // a name: resolving it needs the network
        using var socket = new Socket(address.AddressFamily, protocol == ProtocolType.Udp ? SocketType.Dgram : SocketType.Stream, protocol);
        try
        {
            socket.Bind(new IPEndPoint(address, listen.Port));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            // Before a start, the daemon's own bind says so, in its one line.
            if (!starting) _warnings.Add($"listen {listen}: {(protocol == ProtocolType.Udp ? "UDP" : "TCP")} port {listen.Port} is in use now (by this daemon, if it runs)");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            throw config.Error(key, $"{address} is not an address of this machine");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
        {
            throw config.Error(key, $"port {listen.Port} needs privileges this user lacks (ports below 1024 need root or CAP_NET_BIND_SERVICE)");
        }
    }

    /// <summary>The log file, when one is set, can be opened for appending (its folder exists, and it is writable).</summary>
    public void LogFile(ConfigKey<string> key)
    {
        string path = config.Get(key);
        if (path.Length == 0) return;
        if (Path.GetDirectoryName(path) is { Length: > 0 } dir && !Directory.Exists(dir))
            throw config.Error(key, $"cannot create {path}: the folder {dir} does not exist");
        if (Directory.Exists(path)) throw config.Error(key, $"{path} is a directory; name a file in it");
        if (!File.Exists(path)) return; // created at start, 0640
        try
        {
            using var probe = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw config.Error(key, $"cannot append to {path}: {e.Message}");
        }
    }

    /// <summary>Adds a warning of the daemon's own.</summary>
    public void Warn(string warning) => _warnings.Add(warning);

    /// <summary>A failed check of <paramref name="key"/>, located where it was set.</summary>
    public ConfigException Error(ConfigKey key, string problem) => config.Error(key, problem);

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0');
}
