namespace Vmm.Hostd.Libvirt;

/// <summary>How hostd reaches libvirt and where it keeps the volumes it creates.</summary>
/// <param name="Uri">libvirt connection URI: qemu:///system on a host, test:///default for development.</param>
/// <param name="PoolName">The directory storage pool for Vmm's volumes; defined, built and started on first use.</param>
/// <param name="PoolPath">The pool's directory.</param>
/// <param name="MigrationUri">The URI other hosts migrate to this one with; null derives it from <paramref name="Uri"/>
/// (see <see cref="MigrationUris.Derive"/>).</param>
/// <param name="ImagePaths">Directories base images may come from, besides <paramref name="PoolPath"/>.</param>
internal sealed record LibvirtOptions(string Uri, string PoolName, string PoolPath, string? MigrationUri, IReadOnlyList<string>? ImagePaths = null)
{
    /// <summary>Every directory a base image may come from: the pool's, then <see cref="ImagePaths"/>.</summary>
    public IReadOnlyList<string> BaseImageDirectories => [PoolPath, .. ImagePaths ?? []];
}
