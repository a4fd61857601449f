using Cohort.Storage.Native;
using Microsoft.Win32.SafeHandles;

namespace Cohort.Storage.IO;

/// <summary>The operating system's file system: <see cref="RandomAccess"/> on a <see cref="SafeFileHandle"/>.</summary>
internal sealed class OsFileSystem : FileSystem
{
    public override StorageFile CreateFile(string path, UnixFileMode? unixCreateMode = null)
    {
        if (unixCreateMode is { } mode && !OperatingSystem.IsWindows())
        {
            // File.OpenHandle takes no creation mode; a FileStream without a buffer does, and lends us its handle.
            var options = new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                Share = FileShare.None,
                BufferSize = 0,
                UnixCreateMode = mode,
            };
            var stream = new FileStream(path, options);
            return new OsFile(stream.SafeFileHandle, stream);
        }

        return new OsFile(File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None), owner: null);
    }

    public override StorageFile OpenFile(string path, bool createIfMissing) =>
        new OsFile(File.OpenHandle(path, createIfMissing ? FileMode.OpenOrCreate : FileMode.Open, FileAccess.ReadWrite, FileShare.Read), owner: null);

    public override byte[] ReadAllBytes(string path) => File.ReadAllBytes(path);

    public override bool FileExists(string path) => File.Exists(path);

    public override bool DirectoryExists(string path) => Directory.Exists(path);

    public override void CreateDirectory(string path) => Directory.CreateDirectory(path);

    public override void FsyncDirectory(string path) => NativeFile.FsyncDirectory(path);

    public override void Move(string source, string destination) => File.Move(source, destination, overwrite: true);

    public override void Delete(string path) => File.Delete(path);

    public override IEnumerable<string> EnumerateFiles(string directory, string searchPattern) =>
        Directory.EnumerateFiles(directory, searchPattern);

    private sealed class OsFile(SafeFileHandle handle, IDisposable? owner) : StorageFile
    {
        public override long Length => RandomAccess.GetLength(handle);

        public override void Write(ReadOnlySpan<byte> data, long offset) => RandomAccess.Write(handle, data, offset);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken cancellationToken) =>
            RandomAccess.WriteAsync(handle, data, offset, cancellationToken);

        public override void SetLength(long length) => RandomAccess.SetLength(handle, length);

        public override void Fsync() => RandomAccess.FlushToDisk(handle);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                if (owner is not null)
                {
                    owner.Dispose();
                }
                else
                {
                    handle.Dispose();
                }
            }
        }
    }
}
