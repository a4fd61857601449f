using Cohort.Storage.Native;

namespace Cohort.Storage;

/// <summary>Small files replaced atomically and durably: written beside, flushed, renamed over, directory fsynced.</summary>
public static class DurableFile
{
    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="contents"/> so that after a crash it holds either the old
    /// or the new contents, never a mix. With <paramref name="fsync"/> the new contents are on disk when this returns.
    /// </summary>
    public static void Replace(string path, ReadOnlySpan<byte> contents, bool fsync = true, UnixFileMode? mode = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (mode is { } unixMode && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = unixMode;
        }

        using (var stream = new FileStream(temp, options))
        {
            stream.Write(contents);
            stream.Flush(flushToDisk: fsync);
        }

        File.Move(temp, path, overwrite: true);
        if (fsync)
        {
            NativeFile.FsyncDirectory(directory);
        }
    }
}
