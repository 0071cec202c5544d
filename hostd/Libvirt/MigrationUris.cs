namespace Vmm.Hostd.Libvirt;

/// <summary>The URI other hosts should migrate to this one with, when the configuration does not say.</summary>
internal static class MigrationUris
{
    /// <summary>
    /// A URI that already names a host (qemu+tcp://h1/system, qemu+ssh://root@h1/system) is used as it is. A
    /// local one (qemu:///system) is reached from elsewhere through libvirtd's TCP listener on this host:
    /// the driver gets the tcp transport and the host's name, the path stays and the query goes (its
    /// parameters, such as socket=, describe the local transport) (qemu:///system on h1 gives qemu+tcp://h1/system). TCP because peer-to-peer migration is made by the
    /// source libvirtd, which has no ssh keys; hosts that use TLS or ssh set migration-uri explicitly.
    /// </summary>
    public static string Derive(string connectionUri, string hostname)
    {
        int schemeEnd = connectionUri.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0) return connectionUri;
        string scheme = connectionUri[..schemeEnd];
        string rest = connectionUri[(schemeEnd + 3)..];
        int slash = rest.IndexOf('/');
        string authority = slash < 0 ? rest : rest[..slash];
        if (authority.Length > 0) return connectionUri;
        string driver = scheme.Split('+')[0];
        string path = slash < 0 ? "/" : rest[slash..];
        int query = path.IndexOf('?');
        if (query >= 0) path = path[..query];
        return $"{driver}+tcp://{hostname}{path}";
    }
}
