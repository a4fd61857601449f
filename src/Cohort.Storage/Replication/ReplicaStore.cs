using System.Buffers.Binary;
using Cohort.Core.Execution;
using Cohort.Storage.IO;
using Cohort.Storage.Snapshots;
using Cohort.Storage.Wal;

namespace Cohort.Storage.Replication;

/// <summary>
/// A replica's copy of one resource: the primary's log records and snapshots, kept in the same layout a
/// <see cref="StateMachines.LoggedStateMachine"/> uses (<c>wal</c> and <c>snapshots</c> under its directory), so that
/// promoting the replica is opening the engine over this directory — recovery as after a restart.
/// </summary>
/// <remarks>
/// <para>
/// The store follows one primary's stream at a time: a <see cref="ReplicationEntryKind.Reset"/> starts it (from any
/// primary whose configuration version is not older than the newest the store has seen), and later entries must
/// come from the same primary and continue it without a gap. After a restart the position in the stream is
/// forgotten: the next shipment is refused as a gap, and the primary brings the replica back with a reset (after
/// taking it out of the configuration). The newest version seen is kept in <c>replica.bin</c> (fsynced before it is
/// acted on), so a replica that restarts still refuses a superseded primary.
/// </para>
/// <para>
/// A reset or a snapshot starts a new log segment, writes the snapshot for it durably and only then deletes the
/// older segments and accepts more: a crash in between leaves the previous state whole.
/// </para>
/// </remarks>
public sealed class ReplicaStore : IAsyncDisposable
{
    private const string StateFile = "replica.bin";
    private const string CopyFile = "copy.bin";
    private const byte StateFormat = 1;

    private readonly string _directory;
    private readonly FileSystem _fileSystem;
    private readonly SnapshotStore _snapshots;
    private readonly WriteAheadLog _wal;
    private readonly AsyncGate _gate = new();
    private long _knownVersion;
    // The stream it follows (a primary's replicator), if any since it opened.
    private string? _stream;
    private long? _expected;
    private long _durableThrough = -1;
    private bool _disposed;

    private ReplicaStore(string directory, FileSystem fileSystem, SnapshotStore snapshots, WriteAheadLog wal, long knownVersion)
    {
        _directory = directory;
        _fileSystem = fileSystem;
        _snapshots = snapshots;
        _wal = wal;
        _knownVersion = knownVersion;
    }

    /// <summary>The directory the engine opens when this replica is promoted.</summary>
    public string Directory => _directory;

    /// <summary>The newest configuration version this replica has seen (durably).</summary>
    public long KnownVersion => Volatile.Read(ref _knownVersion);

    /// <summary>The sequence through which it holds the stream durably; -1 before a reset.</summary>
    public long DurableThrough => Interlocked.Read(ref _durableThrough);

    /// <summary>Opens (or creates) the replica in <paramref name="directory"/>; an existing log is kept as it is.</summary>
    public static ReplicaStore Open(string directory, DurabilityMode durability = DurabilityMode.Fsync, long segmentBytes = WalOptions.DefaultSegmentBytes, FileSystem? fileSystem = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        fileSystem ??= FileSystem.Real;
        fileSystem.CreateDirectory(directory);
        var snapshots = new SnapshotStore(Path.Combine(directory, "snapshots"), fileSystem);
        var fromSegment = snapshots.LoadNewest() is { } newest ? newest.WalSegment : 1;

        // The records are not applied here (only the engine, once promoted, interprets them): opening checks them and
        // cuts a torn tail, as for any log.
        var wal = WriteAheadLog.Open(
            new WalOptions { Directory = Path.Combine(directory, "wal"), Durability = durability, SegmentBytes = segmentBytes, FileSystem = fileSystem },
            fromSegment,
            static _ => { });
        return new ReplicaStore(directory, fileSystem, snapshots, wal, ReadKnownVersion(fileSystem, directory));
    }

    /// <summary>
    /// Whether <paramref name="directory"/> has been a member's copy of a replicated resource (created fresh as its first
    /// primary, or written by a primary's stream): a directory without the mark — a lost disk, say — holds nothing a
    /// configuration may count on, and must not be opened as the primary.
    /// </summary>
    public static bool IsMember(string directory, FileSystem? fileSystem = null) =>
        (fileSystem ?? FileSystem.Real).FileExists(Path.Combine(directory, CopyFile));

    /// <summary>The highest configuration term <paramref name="directory"/> has recorded (0 when none).</summary>
    /// <param name="directory">A member's directory.</param>
    /// <param name="fileSystem">The file system (the real one when null).</param>
    /// <returns>The term.</returns>
    public static long RecordedVersion(string directory, FileSystem? fileSystem = null) => ReadKnownVersion(fileSystem ?? FileSystem.Real, directory);

    /// <summary>
    /// Marks <paramref name="directory"/> as a member's at configuration <paramref name="version"/>: a new, empty one as
    /// the first primary's, or a primary's own as it adopts a newer configuration (so that, stepping down, its replica
    /// refuses the versions before it).
    /// </summary>
    public static void MarkMember(string directory, long version, FileSystem? fileSystem = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        fileSystem ??= FileSystem.Real;
        fileSystem.CreateDirectory(directory);
        if (version > ReadKnownVersion(fileSystem, directory))
        {
            WriteKnownVersion(fileSystem, directory, version);
        }

        MarkCopy(fileSystem, directory);
    }

    // The mark of a whole copy: written once a reset is installed (or for a new resource's first primary), never for a
    // directory that only learned a term.
    private static void MarkCopy(FileSystem fileSystem, string directory)
    {
        var path = Path.Combine(directory, CopyFile);
        if (!fileSystem.FileExists(path))
        {
            DurableFile.Replace(fileSystem, path, [StateFormat]);
        }
    }

    /// <summary>
    /// Records that configuration <paramref name="version"/> exists (learned from the configuration store): from now on
    /// shipments under older versions are refused.
    /// </summary>
    public async Task ObserveVersionAsync(long version, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            RaiseKnownVersion(version);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Applies a shipment of stream <paramref name="stream"/> (a primary's replicator: its node and incarnation) under
    /// configuration term <paramref name="version"/>, and returns the sequence through which the stream is now durable
    /// here. Entries this replica has already (a retried shipment, or an older link's reset arriving late) are skipped; an
    /// empty shipment only checks that the replica still follows the stream (a primary's idle probe).
    /// </summary>
    /// <exception cref="ReplicaRefusedException">A stale term, or entries that do not continue this replica's stream.</exception>
    public async Task<long> ApplyAsync(string stream, long version, IReadOnlyList<ReplicationEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ArgumentNullException.ThrowIfNull(entries);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (version < _knownVersion)
            {
                throw new ReplicaRefusedException(ReplicaRefusal.Stale, _knownVersion, $"Term {version} of {stream} is older than term {_knownVersion} this replica has seen: that primary was superseded.");
            }

            RaiseKnownVersion(version);
            if (entries.Count == 0 || entries[0].Kind != ReplicationEntryKind.Reset)
            {
                RequireStream(stream, entries.Count == 0 ? null : entries[0].Sequence);
            }

            Task? last = null;
            foreach (var entry in entries)
            {
                if (_stream == stream && _expected is { } expected && entry.Sequence < expected)
                {
                    // Already here: a retry of a shipment that landed, or a superseded link's reset arriving late.
                    continue;
                }

                if (entry.Kind == ReplicationEntryKind.Reset)
                {
                    if (last is not null)
                    {
                        await last.ConfigureAwait(false);
                        last = null;
                    }

                    await InstallSnapshotAsync(entry.Payload, cancellationToken).ConfigureAwait(false);
                    MarkCopy(_fileSystem, _directory);
                    _stream = stream;
                    _expected = entry.Sequence + 1;
                    Interlocked.Exchange(ref _durableThrough, entry.Sequence);
                    continue;
                }

                RequireStream(stream, entry.Sequence);
                if (entry.Kind == ReplicationEntryKind.Snapshot)
                {
                    if (last is not null)
                    {
                        await last.ConfigureAwait(false);
                        last = null;
                    }

                    await InstallSnapshotAsync(entry.Payload, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    last = _wal.Append(entry.RecordType, entry.Payload.Span);
                }

                _expected = entry.Sequence + 1;
            }

            if (last is not null)
            {
                await last.ConfigureAwait(false);
            }

            if (_expected is { } next)
            {
                Interlocked.Exchange(ref _durableThrough, next - 1);
            }

            return DurableThrough;
        }
        finally
        {
            _gate.Release();
        }
    }

    // Under _gate: the shipment must continue this replica's stream (at sequence when given).
    private void RequireStream(string stream, long? sequence)
    {
        if (_stream != stream || _expected is not { } expected)
        {
            throw new ReplicaRefusedException(ReplicaRefusal.Gap, _knownVersion, $"This replica does not follow {stream}'s stream (it follows {_stream ?? "none since it opened"}): it needs a reset.");
        }

        if (sequence is { } at && at > expected)
        {
            throw new ReplicaRefusedException(ReplicaRefusal.Gap, _knownVersion, $"Entry {at} does not continue the stream at {expected}: this replica needs a reset.");
        }
    }

    /// <summary>Closes the log after writing what is pending (before the engine opens the directory, say).</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await _wal.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    // Under _gate. A new segment, the snapshot for it (durable), then the older segments go.
    private async Task InstallSnapshotAsync(ReadOnlyMemory<byte> snapshot, CancellationToken cancellationToken)
    {
        var segment = _wal.Rotate();
        await _wal.FlushAsync().ConfigureAwait(false);
        await _snapshots.WriteAsync(segment, snapshot, cancellationToken).ConfigureAwait(false);
        _wal.DeleteSegmentsBefore(segment);
    }

    // Under _gate.
    private void RaiseKnownVersion(long version)
    {
        if (version <= _knownVersion)
        {
            return;
        }

        WriteKnownVersion(_fileSystem, _directory, version);
        Volatile.Write(ref _knownVersion, version);
    }

    private static void WriteKnownVersion(FileSystem fileSystem, string directory, long version)
    {
        Span<byte> state = stackalloc byte[9];
        state[0] = StateFormat;
        BinaryPrimitives.WriteInt64LittleEndian(state[1..], version);
        DurableFile.Replace(fileSystem, Path.Combine(directory, StateFile), state);
    }

    private static long ReadKnownVersion(FileSystem fileSystem, string directory)
    {
        var path = Path.Combine(directory, StateFile);
        if (!fileSystem.FileExists(path))
        {
            return 0;
        }

        var state = fileSystem.ReadAllBytes(path);
        return state.Length == 9 && state[0] == StateFormat
            ? BinaryPrimitives.ReadInt64LittleEndian(state.AsSpan(1))
            : throw new Core.CohortException(Core.ErrorCodes.Corruption, $"'{path}' is not a replica state file ({state.Length} bytes).", isTransient: false);
    }
}
