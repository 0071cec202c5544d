using Vmm.Protocol;

namespace Vmm.Hosting.Configuration;

/// <summary>
/// The daemons' `key-file` and `second-key-file` settings (spec §3.3): a controller holds the cluster master key,
/// a hostd only its own host key. A file of the wrong kind, or the host key of another host, is one
/// <see cref="ConfigException"/> line that says what to do, so a daemon never starts with a key that cannot work.
/// </summary>
public static class KeyFile
{
    /// <summary>The keys a daemon loaded: the one it signs with, and a second one accepted while keys rotate.</summary>
    /// <param name="Signing">From key-file.</param>
    /// <param name="Second">From second-key-file; null when not set.</param>
    /// <param name="What">"the cluster master key" or "the host key of hv-01", for the lines below.</param>
    public sealed record Loaded(ClusterKey Signing, ClusterKey? Second, string What)
    {
        /// <summary>The --check-config lines: what each file holds and its key id (spec §3.3).</summary>
        public string Describe() =>
            $"# key-file holds {What}, key id 0x{Signing.Id:x2}\n"
            + (Second is null ? "# second-key-file: none (no rotation under way)\n"
                : $"# second-key-file holds {What}, key id 0x{Second.Id:x2} (accepted, never signed with)\n");
    }

    /// <summary>The master key of a controller's key file.</summary>
    public static ClusterKey LoadMaster(string path, string setting = "key-file")
    {
        var contents = Read(path, setting, "vmmctl key generate " + path);
        if (!contents.IsMaster)
            throw new ConfigException($"{setting}: {path} holds {contents.Describe()}; a controller needs the cluster master key "
                + "(the file `vmmctl key generate` wrote)");
        return contents.Key;
    }

    /// <summary>The host key of <paramref name="hostName"/> from a hostd's key file.</summary>
    public static ClusterKey LoadHost(string path, string hostName, string setting = "key-file")
    {
        string make = $"vmmctl key derive {hostName} --key-file MASTER {path}";
        var contents = Read(path, setting, make);
        if (contents.IsMaster)
            throw new ConfigException($"{setting}: {path} holds the cluster master key, which no hostd may hold; "
                + $"give this host its own key: `{make}` on a controller");
        if (contents.Host != hostName)
            throw new ConfigException($"{setting}: {path} holds {contents.Describe()}, but this host is {hostName} (host-name): "
                + $"make its key with `{make}`");
        return contents.Key;
    }

    private static KeyFileContents Read(string path, string setting, string make)
    {
        try
        {
            return KeyFileContents.Load(path);
        }
        catch (FormatException e)
        {
            throw new ConfigException($"{setting}: {e.Message} (make one with `{make}`)");
        }
    }
}
