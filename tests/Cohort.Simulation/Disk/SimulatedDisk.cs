using System.IO.Enumeration;
using Cohort.Storage.IO;

namespace Cohort.Simulation.Disk;

/// <summary>
/// The disk of one simulated machine: an in-memory <see cref="FileSystem"/> that loses what was not made durable when
/// the machine <see cref="Crash">crashes</see>, with every choice drawn from the <see cref="Random"/> it was given, so a
/// run is a pure function of its seed.
/// </summary>
/// <remarks>
/// <para>
/// Durability is that of POSIX. A file has durable contents and current contents: writes and truncations change the
/// current contents (what reads see), <see cref="StorageFile.Fsync"/> makes them durable. Directory entries (a file
/// created, renamed or deleted) become durable when their directory is fsynced (<see cref="FsyncDirectory"/>): a file
/// created but not yet covered by a directory fsync may vanish at a crash, a rename may be undone. Directories
/// themselves are durable as soon as they are created (a simplification: the storage code never fsyncs the parent of a
/// directory it creates).
/// </para>
/// <para>
/// At a crash, the unsynced tail of a file survives partially: a prefix of the unsynced bytes (in offset order),
/// whose last bytes may be garbage (a torn write). The metadata operations not yet made durable survive as a prefix of
/// their order (a journaling file system replays its journal in order). Open files from before a crash fail with an
/// <see cref="IOException"/>: the process that held them died.
/// </para>
/// <para>
/// Faults: an fsync fails with <see cref="FsyncFailureProbability"/>, or when <see cref="FailNextFsync"/> armed it for its
/// path. A failed file fsync leaves the unsynced data undefined, as Linux does (fsyncgate): the file then holds, both on
/// disk and for reads, what a crash would have left of it. A failed directory fsync leaves its entries unsynced.
/// </para>
/// <para>Paths are plain strings, normalized with <see cref="Path.GetFullPath(string)"/>; nothing touches the real disk.</para>
/// </remarks>
public sealed class SimulatedDisk : FileSystem
{
    private const int MaxTornBytes = 32;

    private readonly Lock _lock = new();
    private readonly Random _random;
    private readonly SortedSet<string> _directories = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, Inode> _files = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, Inode> _durableFiles = new(StringComparer.Ordinal);
    private readonly List<MetadataOperation> _unsyncedMetadata = [];
    private readonly HashSet<string> _failNextFsync = new(StringComparer.Ordinal);
    private int _generation;
    private int _crashCountdown;
    private double _fsyncFailureProbability;

    /// <summary>Creates an empty disk (only the root directory) drawing its faults from <paramref name="random"/>.</summary>
    public SimulatedDisk(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        _random = random;
        _directories.Add(Normalize(Path.DirectorySeparatorChar.ToString()));
    }

    /// <summary>The probability, from 0 to 1, that an fsync (of a file or a directory) fails with an <see cref="IOException"/>.</summary>
    public double FsyncFailureProbability
    {
        get
        {
            lock (_lock)
            {
                return _fsyncFailureProbability;
            }
        }

        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 0.0);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1.0);
            lock (_lock)
            {
                _fsyncFailureProbability = value;
            }
        }
    }

    /// <summary>Crashes so far.</summary>
    public long Crashes { get; private set; }

    /// <summary>Successful fsyncs of files and directories.</summary>
    public long Fsyncs { get; private set; }

    /// <summary>Fsyncs that failed (injected).</summary>
    public long FailedFsyncs { get; private set; }

    /// <summary>Unsynced bytes that did not survive a crash or a failed fsync.</summary>
    public long BytesLost { get; private set; }

    /// <summary>Crashes or failed fsyncs that left garbage at the end of what survived of a file.</summary>
    public long TornTails { get; private set; }

    /// <summary>Unsynced creations, renames and deletions undone by a crash.</summary>
    public long MetadataOperationsLost { get; private set; }

    /// <summary>Makes the next fsync of <paramref name="path"/> (a file, or a directory) fail with an <see cref="IOException"/>.</summary>
    public void FailNextFsync(string path)
    {
        var normalized = Normalize(path);
        lock (_lock)
        {
            _failNextFsync.Add(normalized);
        }
    }

    /// <summary>
    /// The machine loses power: every file keeps its durable contents plus a random prefix (possibly torn) of what was
    /// not fsynced, a random prefix of the unsynced metadata operations survives, and files open before fail from now on.
    /// </summary>
    public void Crash()
    {
        lock (_lock)
        {
            CrashCore();
        }
    }

    /// <summary>
    /// Arms a crash inside the disk: the <paramref name="operations"/>-th mutating call from now (1: the next one; a
    /// write, truncation, fsync, creation, rename or deletion) does not take effect, the machine <see cref="Crash">crashes</see>
    /// instead and the call throws <see cref="SimulatedCrashException"/>, as if the process died in it. Zero disarms.
    /// </summary>
    public void CrashAtOperation(int operations)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(operations);
        lock (_lock)
        {
            _crashCountdown = operations;
        }
    }

    /// <inheritdoc/>
    public override StorageFile CreateFile(string path, UnixFileMode? unixCreateMode = null)
    {
        var normalized = Normalize(path);
        lock (_lock)
        {
            Mutating();
            var inode = OpenInode(normalized, createIfMissing: true);
            inode.SetLength(0);
            return new SimulatedFile(this, inode, normalized);
        }
    }

    /// <inheritdoc/>
    public override StorageFile OpenFile(string path, bool createIfMissing)
    {
        var normalized = Normalize(path);
        lock (_lock)
        {
            if (createIfMissing && !_files.ContainsKey(normalized))
            {
                Mutating();
            }

            return new SimulatedFile(this, OpenInode(normalized, createIfMissing), normalized);
        }
    }

    /// <inheritdoc/>
    public override byte[] ReadAllBytes(string path)
    {
        var normalized = Normalize(path);
        lock (_lock)
        {
            return _files.TryGetValue(normalized, out var inode)
                ? inode.Contents.ToArray()
                : throw new FileNotFoundException($"Could not find file '{normalized}'.", normalized);
        }
    }

    /// <inheritdoc/>
    public override bool FileExists(string path)
    {
        var normalized = Normalize(path);
        lock (_lock)
        {
            return _files.ContainsKey(normalized);
        }
    }

    /// <inheritdoc/>
    public override bool DirectoryExists(string path)
    {
        var normalized = Normalize(path);
        lock (_lock)
        {
            return _directories.Contains(normalized);
        }
    }

    /// <inheritdoc/>
    public override void CreateDirectory(string path)
    {
        var normalized = Normalize(path);
        lock (_lock)
        {
            for (var directory = normalized; directory is not null; directory = Path.GetDirectoryName(directory))
            {
                if (_files.ContainsKey(directory))
                {
                    throw new IOException($"Cannot create '{normalized}': '{directory}' is a file.");
                }

                if (!_directories.Add(directory))
                {
                    break;
                }
            }
        }
    }

    /// <inheritdoc/>
    public override void FsyncDirectory(string path)
    {
        var normalized = Normalize(path);
        lock (_lock)
        {
            if (!_directories.Contains(normalized))
            {
                throw new DirectoryNotFoundException($"Cannot fsync directory '{normalized}': it does not exist.");
            }

            Mutating();
            if (FsyncFails(normalized))
            {
                throw new IOException($"fsync of directory '{normalized}' failed (simulated).");
            }

            // Only this directory's entries become durable; others stay pending, in their order.
            // By index: compacting the list in place while a foreach enumerates it would throw (found by the soak).
            var remaining = 0;
            for (var i = 0; i < _unsyncedMetadata.Count; i++)
            {
                var operation = _unsyncedMetadata[i];
                if (operation.Touches(normalized))
                {
                    Apply(operation);
                }
                else
                {
                    _unsyncedMetadata[remaining++] = operation;
                }
            }

            _unsyncedMetadata.RemoveRange(remaining, _unsyncedMetadata.Count - remaining);
            Fsyncs++;
        }
    }

    /// <inheritdoc/>
    public override void Move(string source, string destination)
    {
        var from = Normalize(source);
        var to = Normalize(destination);
        lock (_lock)
        {
            Mutating();
            if (!_files.TryGetValue(from, out var inode))
            {
                throw new FileNotFoundException($"Could not find file '{from}'.", from);
            }

            RequireParent(to);
            if (_directories.Contains(to))
            {
                throw new IOException($"Cannot move '{from}' over the directory '{to}'.");
            }

            if (from == to)
            {
                return;
            }

            _files.Remove(from);
            _files[to] = inode;
            _unsyncedMetadata.Add(new MetadataOperation(MetadataKind.Rename, from, to, inode));
        }
    }

    /// <inheritdoc/>
    public override void Delete(string path)
    {
        var normalized = Normalize(path);
        lock (_lock)
        {
            if (!_files.TryGetValue(normalized, out var inode))
            {
                return;
            }

            Mutating();
            _files.Remove(normalized);
            _unsyncedMetadata.Add(new MetadataOperation(MetadataKind.Delete, normalized, null, inode));
        }
    }

    /// <inheritdoc/>
    /// <remarks>The simulated disk lists in ordinal order of the names.</remarks>
    public override IEnumerable<string> EnumerateFiles(string directory, string searchPattern)
    {
        ArgumentNullException.ThrowIfNull(searchPattern);
        var normalized = Normalize(directory);
        lock (_lock)
        {
            if (!_directories.Contains(normalized))
            {
                throw new DirectoryNotFoundException($"Could not find a part of the path '{normalized}'.");
            }

            var result = new List<string>();
            foreach (var path in _files.Keys)
            {
                if (Path.GetDirectoryName(path) == normalized
                    && FileSystemName.MatchesSimpleExpression(searchPattern, Path.GetFileName(path), ignoreCase: false))
                {
                    result.Add(path);
                }
            }

            return result.ToArray();
        }
    }

    private static string Normalize(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
    }

    // Caller holds _lock.
    private void CrashCore()
    {
        Crashes++;
        _generation++;
        _crashCountdown = 0;

        var survive = Draw(_unsyncedMetadata.Count);
        for (var i = 0; i < survive; i++)
        {
            Apply(_unsyncedMetadata[i]);
        }

        MetadataOperationsLost += _unsyncedMetadata.Count - survive;
        _unsyncedMetadata.Clear();

        _files.Clear();
        var settled = new HashSet<Inode>(ReferenceEqualityComparer.Instance);
        foreach (var (path, inode) in _durableFiles)
        {
            if (settled.Add(inode))
            {
                var contents = Settle(inode);
                inode.Durable = contents;
                inode.Reset(contents);
            }

            _files.Add(path, inode);
        }
    }

    // Caller holds _lock, before a call changes anything: counts down to an armed crash.
    private void Mutating()
    {
        if (_crashCountdown > 0 && --_crashCountdown == 0)
        {
            CrashCore();
            throw new SimulatedCrashException();
        }
    }

    // Caller holds _lock.
    private Inode OpenInode(string path, bool createIfMissing)
    {
        if (_files.TryGetValue(path, out var inode))
        {
            return inode;
        }

        if (_directories.Contains(path))
        {
            throw new UnauthorizedAccessException($"Access to the path '{path}' is denied: it is a directory.");
        }

        if (!createIfMissing)
        {
            throw new FileNotFoundException($"Could not find file '{path}'.", path);
        }

        RequireParent(path);
        inode = new Inode();
        _files.Add(path, inode);
        _unsyncedMetadata.Add(new MetadataOperation(MetadataKind.Create, path, null, inode));
        return inode;
    }

    // Caller holds _lock.
    private void RequireParent(string path)
    {
        var parent = Path.GetDirectoryName(path);
        if (parent is null || !_directories.Contains(parent))
        {
            throw new DirectoryNotFoundException($"Could not find a part of the path '{path}'.");
        }
    }

    // Caller holds _lock.
    private void Apply(MetadataOperation operation)
    {
        switch (operation.Kind)
        {
            case MetadataKind.Create:
                _durableFiles[operation.Path] = operation.Inode;
                break;
            case MetadataKind.Delete:
                _durableFiles.Remove(operation.Path);
                break;
            case MetadataKind.Rename:
                _durableFiles[operation.Destination!] = operation.Inode;
                if (_durableFiles.TryGetValue(operation.Path, out var source) && ReferenceEquals(source, operation.Inode))
                {
                    _durableFiles.Remove(operation.Path);
                }

                break;
        }
    }

    // Caller holds _lock: whether an injected fault fails this fsync of path (and counts it).
    private bool FsyncFails(string path)
    {
        var fails = _failNextFsync.Remove(path)
            || (_fsyncFailureProbability > 0 && _random.NextDouble() < _fsyncFailureProbability);
        if (fails)
        {
            FailedFsyncs++;
        }

        return fails;
    }

    // Caller holds _lock: a file fsync through an open file.
    private void Fsync(Inode inode, string path)
    {
        if (FsyncFails(path))
        {
            // fsyncgate: the dirty pages are dropped (marked clean) whatever reached the disk; later fsyncs succeed
            // without writing them. Model it as the disk keeping what a crash would have left, and the cache forgetting.
            var contents = Settle(inode);
            inode.Durable = contents;
            inode.Reset(contents);
            throw new IOException($"fsync of '{path}' failed (simulated); its unsynced data is lost.");
        }

        inode.Durable = inode.Contents.ToArray();
        Fsyncs++;
    }

    // Caller holds _lock: what of the inode's contents is on disk after a crash (drawn from the random).
    private byte[] Settle(Inode inode)
    {
        var durable = inode.Durable;
        var current = inode.Contents;
        var common = current.CommonPrefixLength(durable);
        if (common == current.Length && common == durable.Length)
        {
            return durable;
        }

        if (common == current.Length)
        {
            // Only a truncation is unsynced: it reached the disk or not.
            return _random.Next(2) == 0 ? durable : current.ToArray();
        }

        // Writes past the common prefix reach the disk in offset order, up to some point; old bytes beyond it stay.
        var unsynced = current.Length - common;
        var survived = Draw(unsynced);
        BytesLost += unsynced - survived;
        byte[] result;
        if (survived == unsynced)
        {
            result = current.ToArray();
        }
        else
        {
            var end = common + survived;
            result = new byte[Math.Max(end, durable.Length)];
            current[..end].CopyTo(result);
            if (durable.Length > end)
            {
                durable.AsSpan(end).CopyTo(result.AsSpan(end));
            }
        }

        if (survived > 0 && _random.Next(2) == 0)
        {
            // A torn write: the last bytes that reached the disk are garbage.
            var torn = 1 + _random.Next(Math.Min(survived, MaxTornBytes));
            _random.NextBytes(result.AsSpan(common + survived - torn, torn));
            TornTails++;
        }

        return result;
    }

    // How many of count things survive: none, all, or uniformly in between, a third of the time each.
    private int Draw(int count) => _random.Next(3) switch
    {
        0 => 0,
        1 => count,
        _ => _random.Next(count + 1),
    };

    private enum MetadataKind
    {
        Create,
        Delete,
        Rename,
    }

    private sealed record MetadataOperation(MetadataKind Kind, string Path, string? Destination, Inode Inode)
    {
        public bool Touches(string directory) =>
            System.IO.Path.GetDirectoryName(Path) == directory
            || (Destination is not null && System.IO.Path.GetDirectoryName(Destination) == directory);
    }

    private sealed class Inode
    {
        private byte[] _data = [];

        public byte[] Durable { get; set; } = [];

        public int Length { get; private set; }

        public ReadOnlySpan<byte> Contents => _data.AsSpan(0, Length);

        public void Write(ReadOnlySpan<byte> data, long offset)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            var end = offset + data.Length;
            if (end > Array.MaxLength)
            {
                throw new IOException("The simulated disk holds files up to 2 GiB.");
            }

            if (end > Length)
            {
                SetLength(end);
            }

            data.CopyTo(_data.AsSpan((int)offset));
        }

        public void SetLength(long length)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(length);
            if (length > Array.MaxLength)
            {
                throw new IOException("The simulated disk holds files up to 2 GiB.");
            }

            var newLength = (int)length;
            if (newLength > _data.Length)
            {
                Array.Resize(ref _data, (int)Math.Min(Array.MaxLength, Math.Max(newLength, 2L * _data.Length)));
            }
            else if (newLength < Length)
            {
                _data.AsSpan(newLength, Length - newLength).Clear();
            }

            Length = newLength;
        }

        public void Reset(byte[] contents)
        {
            _data = contents.ToArray();
            Length = contents.Length;
        }
    }

    private sealed class SimulatedFile(SimulatedDisk disk, Inode inode, string path) : StorageFile
    {
        private readonly int _generation = disk._generation;
        private bool _disposed;

        public override long Length
        {
            get
            {
                lock (disk._lock)
                {
                    ThrowIfUnusable();
                    return inode.Length;
                }
            }
        }

        public override void Write(ReadOnlySpan<byte> data, long offset)
        {
            lock (disk._lock)
            {
                ThrowIfUnusable();
                disk.Mutating();
                inode.Write(data, offset);
            }
        }

        public override void SetLength(long length)
        {
            lock (disk._lock)
            {
                ThrowIfUnusable();
                disk.Mutating();
                inode.SetLength(length);
            }
        }

        public override void Fsync()
        {
            lock (disk._lock)
            {
                ThrowIfUnusable();
                disk.Mutating();
                disk.Fsync(inode, path);
            }
        }

        protected override void Dispose(bool disposing) => _disposed = true;

        private void ThrowIfUnusable()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_generation != disk._generation)
            {
                throw new IOException($"'{path}' was opened before the machine crashed.");
            }
        }
    }
}
