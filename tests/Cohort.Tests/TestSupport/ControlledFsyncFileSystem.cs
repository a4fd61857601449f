using Cohort.Storage.IO;

namespace Cohort.Tests.TestSupport;

/// <summary>
/// The real file system, whose file fsyncs a test controls: <see cref="Fail"/> makes them throw, <see cref="Hold"/> makes
/// them block (on the thread that calls them, the log's flusher) until <see cref="Release"/>. Counts them.
/// </summary>
internal sealed class ControlledFsyncFileSystem : FileSystem
{
    private readonly FileSystem _real = Real;
    private readonly ManualResetEventSlim _open = new(initialState: true);
    private int _fsyncs;

    /// <summary>Set: every file fsync from now on throws an <see cref="IOException"/>.</summary>
    public volatile bool Fail;

    /// <summary>File fsyncs completed so far.</summary>
    public int Fsyncs => Volatile.Read(ref _fsyncs);

    /// <summary>From now on, a file fsync blocks until <see cref="Release"/>.</summary>
    public void Hold() => _open.Reset();

    /// <summary>Lets held fsyncs (and later ones) go through.</summary>
    public void Release() => _open.Set();

    public override StorageFile CreateFile(string path, UnixFileMode? unixCreateMode = null) => new File(this, _real.CreateFile(path, unixCreateMode));

    public override StorageFile OpenFile(string path, bool createIfMissing) => new File(this, _real.OpenFile(path, createIfMissing));

    public override byte[] ReadAllBytes(string path) => _real.ReadAllBytes(path);

    public override bool FileExists(string path) => _real.FileExists(path);

    public override bool DirectoryExists(string path) => _real.DirectoryExists(path);

    public override void CreateDirectory(string path) => _real.CreateDirectory(path);

    public override void FsyncDirectory(string path) => _real.FsyncDirectory(path);

    public override void Move(string source, string destination) => _real.Move(source, destination);

    public override void Delete(string path) => _real.Delete(path);

    public override IEnumerable<string> EnumerateFiles(string directory, string searchPattern) => _real.EnumerateFiles(directory, searchPattern);

    private sealed class File(ControlledFsyncFileSystem owner, StorageFile inner) : StorageFile
    {
        public override long Length => inner.Length;

        public override void Write(ReadOnlySpan<byte> data, long offset) => inner.Write(data, offset);

        public override void SetLength(long length) => inner.SetLength(length);

        public override void Fsync()
        {
            // Bounded, so that a test that forgets to release fails instead of hanging the run.
            if (!owner._open.Wait(TimeSpan.FromMinutes(1)))
            {
                throw new IOException("fsync held for a minute (test)");
            }

            if (owner.Fail)
            {
                throw new IOException("fsync failed (test)");
            }

            inner.Fsync();
            Interlocked.Increment(ref owner._fsyncs);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
        }
    }
}
