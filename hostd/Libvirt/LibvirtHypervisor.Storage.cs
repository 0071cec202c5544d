// Vmm's storage pool and the volumes it creates in it.
using System.Buffers.Binary;
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt.Xml;

namespace Vmm.Hostd.Libvirt;

internal sealed partial class LibvirtHypervisor
{
    /// <summary>The directory pool options.PoolName at options.PoolPath, defined, built, started and marked
    /// autostart the first time it is needed (so a fresh host needs no setup), started if it was stopped.</summary>
    private StoragePoolHandle Pool(LibvirtSession s)
    {
        // Two adds on a fresh host must not both define the pool.
        lock (_poolGate)
        {
            var pool = LibvirtApi.LookupStoragePool(s.Connection, _options.PoolName);
            if (pool is null)
            {
                _log.Info("defining storage pool {0} at {1}", _options.PoolName, _options.PoolPath);
                pool = LibvirtApi.DefineStoragePool(s.Connection, PoolXml.Directory(_options.PoolName, _options.PoolPath));
                LibvirtApi.BuildStoragePool(pool);
                LibvirtApi.StartStoragePool(pool);
                LibvirtApi.SetStoragePoolAutostart(pool, true);
            }
            else if (!LibvirtApi.IsStoragePoolActive(pool))
            {
                LibvirtApi.StartStoragePool(pool);
            }
            return pool;
        }
    }

    /// <summary>
    /// The pool, made ready as soon as hostd connects rather than at the first add: a migration that copies disks
    /// here needs a pool at the same path before this host ever created a volume (libvirt creates the copies in the
    /// pool whose directory holds the source's path, and fails without one). A failure here only loses that; add
    /// tries again and reports it.
    /// </summary>
    private void EnsurePool(LibvirtSession s)
    {
        try
        {
            using var pool = Pool(s);
        }
        catch (HypervisorException e)
        {
            _log.Warn("storage pool {0} at {1} is not ready: {2}", _options.PoolName, _options.PoolPath, e.Message);
        }
    }

    /// <summary>The disk request with its base image (if any) checked and named by its real path (see <see cref="BaseImages"/>).</summary>
    private DiskRequest Checked(DiskRequest d) =>
        d.BaseImage is string b ? d with { BaseImage = BaseImages.Check(b, _options.BaseImageDirectories) } : d;

    /// <summary>Creates the volume for a disk request as <c>{vm}-{target}.qcow2</c>; returns its path.</summary>
    private static string CreateVolume(StoragePoolHandle pool, string vmName, string target, DiskRequest d)
    {
        string name = $"{vmName}-{target}.qcow2";
        string xml;
        if (d.BaseImage is string b)
        {
            var (format, size) = BaseImage(b);
            xml = VolumeXml.Overlay(name, b, format, d.Size ?? size);
        }
        else
        {
            xml = VolumeXml.Blank(name, d.Size!.Value);
        }
        using var vol = LibvirtApi.CreateStorageVolume(pool, xml);
        return LibvirtApi.GetStorageVolumePath(vol);
    }

    /// <summary>Deletes volumes just created for a request that then failed; the request's own error is what
    /// the caller reports, so a volume that cannot be removed is only logged.</summary>
    private void DeleteVolumes(LibvirtSession s, IEnumerable<string> paths)
    {
        foreach (var left in TryDeleteVolumes(s, paths))
            _log.Warn("could not delete volume {0} after a failed request", left);
    }

    /// <summary>Deletes the volumes at <paramref name="paths"/> (one already gone counts as deleted); returns
    /// each one that could not be deleted, as "path (why)".</summary>
    private static List<string> TryDeleteVolumes(LibvirtSession s, IEnumerable<string> paths)
    {
        var left = new List<string>();
        foreach (var path in paths)
        {
            try
            {
                using var vol = LibvirtApi.LookupStorageVolume(s.Connection, path);
                if (vol is not null) LibvirtApi.DeleteStorageVolume(vol);
            }
            catch (HypervisorException e)
            {
                left.Add($"{path} ({e.Message})");
            }
        }
        return left;
    }

    // Not "QFI\xfb"u8: a u8 literal encodes \xfb (U+00FB) as two bytes, and no header would ever match.
    private static ReadOnlySpan<byte> Qcow2Magic => [(byte)'Q', (byte)'F', (byte)'I', 0xfb];

    /// <summary>
    /// The format of a base image (qcow2 when its header says so, else raw) and the size a guest sees of it (a
    /// qcow2 header's size field, a raw file's length), so that an overlay without a size of its own gets the base's:
    /// libvirt's storage backends differ on whether they work it out themselves (the test driver does not). An image
    /// hostd cannot read is named by its extension, with no size; libvirt then reports what is wrong when it opens it.
    /// </summary>
    internal static (string Format, ulong? Size) BaseImage(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            Span<byte> header = stackalloc byte[32];
            int read = f.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (read < 4 || !header[..4].SequenceEqual(Qcow2Magic)) return ("raw", f.Length > 0 ? (ulong)f.Length : null);
            // QCowHeader: magic, version, backing_file_offset (8), backing_file_size, cluster_bits, then size (8) at 24.
            ulong size = read == header.Length ? BinaryPrimitives.ReadUInt64BigEndian(header[24..]) : 0;
            return ("qcow2", size > 0 ? size : null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (path.EndsWith(".qcow2", StringComparison.OrdinalIgnoreCase) ? "qcow2" : "raw", null);
        }
    }
}
