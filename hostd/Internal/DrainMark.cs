// The host's draining mark (spec §6.1, §8.1 drain): set and cleared by a controller's drain request, sent in every
// STATE datagram as the draining status bit, and kept in a one-line file in hostd's state-path, so that it outlives
// a restart of hostd and of every controller (a controller stores nothing: it learns the mark from the host).
// The file is written whole under a temporary name, flushed and renamed over the old one: a crash leaves either
// the old mark or the new, never half a file.
using NLog;

namespace Vmm.Hostd.Internal;

/// <summary>Whether this host is marked draining, persisted in <c>STATE-PATH/draining</c>. Thread-safe.</summary>
internal sealed class DrainMark
{
    /// <summary>The file's name in the state directory.</summary>
    public const string FileName = "draining";

    private const string Content = "draining\n";

    private readonly Lock _gate = new();
    private readonly string? _path;
    private volatile bool _draining;

    /// <summary>A mark kept in <paramref name="directory"/> (null: kept in memory only, for tests), read now.</summary>
    public DrainMark(string? directory, Logger log)
    {
        if (directory is null) return;
        _path = Path.Combine(directory, FileName);
        // The file's presence is the mark; its content is for people.
        _draining = File.Exists(_path);
        if (!_draining && !Directory.Exists(directory) && File.Exists(directory))
            log.Warn("state-path {0} is a file, not a folder: the draining mark cannot be kept there", directory);
        if (_draining) log.Info("host is marked draining ({0}): placement skips it until a controller undrains it", _path);
    }

    /// <summary>Whether the host is marked draining now.</summary>
    public bool Draining => _draining;

    /// <summary>Where the mark is kept; null when in memory only.</summary>
    public string? FilePath => _path;

    /// <summary>
    /// Sets (<paramref name="draining"/>) or clears the mark and stores it before returning; false when it was so
    /// already (nothing written). Throws <see cref="IOException"/> (or UnauthorizedAccessException) when it cannot be
    /// stored: the mark is then unchanged.
    /// </summary>
    public bool Set(bool draining)
    {
        lock (_gate)
        {
            if (_draining == draining) return false;
            if (_path is not null) Store(_path, draining);
            _draining = draining;
            return true;
        }
    }

    private static void Store(string path, bool draining)
    {
        if (!draining)
        {
            File.Delete(path);
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + ".tmp";
        using (var f = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(System.Text.Encoding.ASCII.GetBytes(Content));
            f.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
