using Cohort.Storage.IO;

namespace Cohort.Storage;

/// <summary>Small files replaced atomically and durably: written beside, flushed, renamed over, directory fsynced.</summary>
public static class DurableFile
{
    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="contents"/> so that after a crash it holds either the old
    /// or the new contents, never a mix. With <paramref name="fsync"/> the new contents are on disk when this returns.
    /// </summary>
    public static void Replace(string path, ReadOnlySpan<byte> contents, bool fsync = true, UnixFileMode? mode = null) =>
        Replace(FileSystem.Real, path, contents, fsync, mode);

    /// <summary>
    /// Replaces <paramref name="path"/> of <paramref name="fileSystem"/> with <paramref name="contents"/> so that after a
    /// crash it holds either the old or the new contents, never a mix. With <paramref name="fsync"/> the new contents are
    /// on disk when this returns.
    /// </summary>
    public static void Replace(FileSystem fileSystem, string path, ReadOnlySpan<byte> contents, bool fsync = true, UnixFileMode? mode = null)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        fileSystem.CreateDirectory(directory);
        var temp = path + ".tmp";
        using (var file = fileSystem.CreateFile(temp, mode))
        {
            file.Write(contents, 0);
            if (fsync)
            {
                file.Fsync();
            }
        }

        fileSystem.Move(temp, path);
        if (fsync)
        {
            fileSystem.FsyncDirectory(directory);
        }
    }
}
