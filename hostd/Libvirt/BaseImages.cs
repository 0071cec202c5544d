// Where a disk-spec's base-image may come from. libvirt (root, on a real host) opens the base image for the
// guest and may relabel or chown it, so a path a controller sends must not reach beyond the images the host
// means to share: only regular files inside the storage pool's directory or a directory of image-paths, named
// by their real path (symbolic links and ".." resolved), never anything under /proc, /sys or /dev.
using Vmm.Hostd.Interop;
using Vmm.Hostd.Libvirt.Xml;
using Vmm.Protocol;

namespace Vmm.Hostd.Libvirt;

internal static class BaseImages
{
    private static readonly string[] Never = ["/proc", "/sys", "/dev"];

    /// <summary>
    /// The real path of <paramref name="baseImage"/> when it is a regular file inside one of
    /// <paramref name="directories"/>; a <see cref="HypervisorException"/> not-found when there is no such file;
    /// otherwise a <see cref="SpecException"/> (a failure ACK) saying why and what to do.
    /// </summary>
    public static string Check(string baseImage, IReadOnlyList<string> directories)
    {
        string real;
        try
        {
            real = Libc.RealPath(baseImage);
        }
        catch (FileNotFoundException)
        {
            throw new HypervisorException(AckCode.NotFound, 0, $"disk-spec: base-image {baseImage} not found on this host");
        }
        catch (IOException e)
        {
            throw new SpecException($"disk-spec: base-image {baseImage}: {e.Message}");
        }
        string resolved = real == baseImage ? "" : $" (it resolves to {real})";
        foreach (var never in Never)
            if (IsUnder(real, never))
                throw new SpecException($"disk-spec: base-image {baseImage}{resolved} is under {never}, which holds no disk images");

        FileKind kind;
        try
        {
            kind = Libc.KindOf(real);
        }
        catch (IOException e)
        {
            throw new SpecException($"disk-spec: base-image {baseImage}: {e.Message}");
        }
        if (kind != FileKind.Regular)
            throw new SpecException($"disk-spec: base-image {baseImage}{resolved} is {Describe(kind)}, not a regular file: give an image file");

        foreach (var directory in directories)
        {
            string root;
            try { root = Libc.RealPath(directory); }
            catch (IOException) { continue; }   // not there (yet): it holds nothing
            if (IsUnder(real, root)) return real;
        }
        throw new SpecException($"disk-spec: base-image {baseImage}{resolved} is outside the directories base images may come from " +
            $"({string.Join(", ", directories)}); copy it into one, or add its directory to hostd's image-paths");
    }

    private static bool IsUnder(string path, string directory) =>
        directory == "/" || path.StartsWith(directory.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static string Describe(FileKind kind) => kind switch
    {
        FileKind.Directory => "a directory",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Fifo => "a FIFO",
        FileKind.Socket => "a socket",
        _ => "not a regular file",
    };
}
